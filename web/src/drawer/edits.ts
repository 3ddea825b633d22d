// The drawer's form: what the user typed, and which of it differs from the task.

import type { EventType, LiveEvent, Status, Task } from "../types";

export type Draft = Pick<
  Task,
  "title" | "description" | "status_id" | "assignee_id" | "priority" | "labels" | "due_date"
>;

export type Edits = Partial<Draft> & { archived?: boolean };

export function draftOf(task: Task): Draft {
  return {
    title: task.title,
    description: task.description,
    status_id: task.status_id,
    assignee_id: task.assignee_id,
    priority: task.priority,
    labels: [...task.labels],
    due_date: task.due_date,
  };
}

/** Only the fields the user changed: a PATCH that sends them changes nothing else. */
export function edits(task: Task, draft: Draft): Edits {
  const changed: Edits = {};
  const base = draftOf(task);
  // the title is sent trimmed, so it is compared trimmed
  const mine: Draft = { ...draft, title: draft.title.trim() };
  for (const key of Object.keys(mine) as (keyof Draft)[]) {
    if (JSON.stringify(mine[key]) !== JSON.stringify(base[key])) {
      (changed as Record<string, unknown>)[key] = mine[key];
    }
  }
  return changed;
}

const VERBS: Partial<Record<EventType, string>> = {
  "task.created": "created the task",
  "task.updated": "changed",
  "task.moved": "moved the task",
  "task.archived": "archived the task",
  "task.restored": "restored the task",
  "task.deleted": "deleted the task",
  "comment.created": "commented",
  "comment.updated": "edited a comment",
  "comment.deleted": "deleted a comment",
};

/** One history line: who did what, with a status id shown as its name. */
export function describeEvent(event: LiveEvent, names: Record<number, string>, statuses: Status[]): string {
  const who = event.actor_id === null ? "Someone" : (names[event.actor_id] ?? `User ${event.actor_id}`);
  const verb = VERBS[event.type] ?? event.type;
  const status = (id: number) => statuses.find((s) => s.id === id)?.name ?? String(id);
  if (event.type === "task.moved" || event.type === "task.updated") {
    const changes = event.changes;
    const move = changes.status_id;
    if (move) return `${who} moved it from ${status(move[0])} to ${status(move[1])}`;
    const fields = Object.keys(changes).filter((k) => k !== "rank");
    if (event.type === "task.moved") return `${who} reordered it`;
    return `${who} changed ${fields.join(", ") || "the task"}`;
  }
  return `${who} ${verb}`;
}
