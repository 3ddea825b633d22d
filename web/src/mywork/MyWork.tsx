// My work: the open tasks assigned to me in every project, grouped by when they are due.

import { useEffect, useState } from "preact/hooks";

import { api, ok } from "../api";
import { message } from "../auth";
import { onLink } from "../route";
import type { MyTask, MyTaskPage } from "../types";
import { formatDue, Notice } from "../ui";
import { type Group, GROUPS, groupOf } from "./group";

const MAX_PAGES = 10; // 2,000 tasks: past that, a list per project says more
const OPEN: MyTask["status_category"][] = ["unstarted", "started", "review", "blocked"];

export function MyWork() {
  const [tasks, setTasks] = useState<MyTask[] | null>(null);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.title = "My work · Laneway";
    let cancelled = false;
    (async () => {
      const found: MyTask[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const answer: MyTaskPage = await ok(
          api.GET("/api/v1/me/tasks", {
            params: { query: { limit: 200, category: OPEN, ...(cursor ? { cursor } : {}) } },
          }),
        );
        found.push(...answer.items);
        cursor = answer.next_cursor;
        if (!cancelled) setTasks([...found]);
        if (!cursor) break;
      }
      if (!cancelled) setDone(cursor === null);
    })().catch((e) => setError(message(e)));
    return () => {
      cancelled = true;
    };
  }, []);

  const groups = new Map<Group, MyTask[]>(GROUPS.map((g) => [g, []]));
  for (const task of tasks ?? []) groups.get(groupOf(task.due_date))!.push(task);

  return (
    <main class="page my-work">
      <h1>My work</h1>
      {error && (
        <Notice tone="error" onClose={() => setError(null)}>
          {error}
        </Notice>
      )}
      {tasks === null ? (
        <p class="muted">Loading…</p>
      ) : tasks.length === 0 ? (
        <p class="muted">Nothing is assigned to you that is not done.</p>
      ) : (
        GROUPS.filter((g) => groups.get(g)!.length > 0).map((group) => (
          <section key={group} aria-label={group} class="my-work-group">
            <h2>
              {group} <span class="muted">{groups.get(group)!.length}</span>
            </h2>
            <ul class="plain-list">
              {groups.get(group)!.map((task) => (
                <li key={task.id} class="my-task">
                  <a href={`/p/${task.project_id}?task=${task.id}`} onClick={onLink}>
                    <span class="task-number">{task.number}</span> {task.title}
                  </a>
                  <span class="muted">
                    {" "}
                    · {task.status_name}
                    {task.due_date ? ` · ${formatDue(task.due_date)}` : ""}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
      {tasks !== null && !done && !error && <p class="muted">Showing the first {tasks.length}…</p>}
    </main>
  );
}
