// The task drawer, loaded on first open: fields, sub-tasks, comments and history.

import { useEffect, useRef, useState } from "preact/hooks";

import { ApiError, api, etagOf, idempotencyKey, ok } from "../api";
import { message } from "../auth";
import type { BoardState, EditFields } from "../board/state";
import { type Comment, isTaskEvent, type LiveEvent, type Member, PRIORITIES, type Task, type User } from "../types";
import { taskProgress, toggleTask } from "../markdown/tasklist";
import { MentionBox } from "../mention/MentionBox";
import { Attachments } from "./Attachments";
import { Avatar, Notice, When } from "../ui";
import { describeEvent, type Draft, draftOf, type Edits, edits } from "./edits";

const HISTORY = 100;

export function Drawer(props: {
  taskId: number;
  board: BoardState;
  members: Member[];
  me: User;
  canWrite: boolean;
  lastEvent: LiveEvent | null;
  optimistic: { begin(taskId: number, fields: EditFields): number; done(opId: number, version?: number): void };
  onClose(): void;
  onOpen(taskId: number): void;
}) {
  const { taskId, board } = props;
  const [task, setTask] = useState<Task | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [comments, setComments] = useState<Comment[]>([]);
  const [history, setHistory] = useState<LiveEvent[]>([]);
  const [children, setChildren] = useState<Task[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<{ mine: Edits; theirs: Task } | null>(null);
  const [saving, setSaving] = useState(false);
  const [stale, setStale] = useState(false);
  const panel = useRef<HTMLElement>(null);

  const names: Record<number, string> = { ...board.users };
  for (const m of props.members) names[m.user_id] = m.name;
  const dirty = task && draft ? Object.keys(edits(task, draft)).length > 0 : false;

  const loadTask = async () => {
    try {
      const fresh = await ok(api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: taskId } } }));
      setTask(fresh);
      return fresh;
    } catch (e) {
      setError(message(e));
      return null;
    }
  };
  const loadComments = () =>
    ok(
      api.GET("/api/v1/tasks/{task_id}/comments", { params: { path: { task_id: taskId }, query: { limit: 100 } } }),
    ).then((p) => setComments(p.items), () => undefined);
  // The log pages forward from the oldest; the drawer keeps the newest HISTORY events. After
  // the first load, a change fetches only what came after the last event shown.
  const historyEnd = useRef(0);
  const loadHistory = async (fresh = false) => {
    let after = fresh ? 0 : historyEnd.current;
    const events: LiveEvent[] = [];
    try {
      for (let page = 0; page < 20; page++) {
        const got = await ok(
          api.GET("/api/v1/tasks/{task_id}/activity", {
            params: { path: { task_id: taskId }, query: { limit: 200, after } },
          }),
        );
        events.push(...got.items);
        if (events.length > HISTORY) events.splice(0, events.length - HISTORY);
        if (got.next_after === null) break;
        after = got.next_after;
      }
    } catch {
      return; // the history is secondary: the fields and comments stay usable
    }
    if (events.length) historyEnd.current = events[events.length - 1].seq;
    setHistory((shown) => {
      if (fresh) return events;
      const last = shown.length ? shown[shown.length - 1].seq : 0; // two loads may overlap
      return [...shown, ...events.filter((e) => e.seq > last)].slice(-HISTORY);
    });
  };
  const loadChildren = () =>
    ok(
      api.GET("/api/v1/projects/{project_id}/tasks", {
        params: { path: { project_id: board.projectId }, query: { parent: taskId, limit: 100 } },
      }),
    ).then(
      (p) => setChildren(p.items),
      () => undefined,
    );

  useEffect(() => {
    setTask(null);
    setDraft(null);
    setConflict(null);
    setError(null);
    setStale(false);
    void loadTask().then((t) => t && setDraft(draftOf(t)));
    void loadComments();
    void loadHistory(true);
    void loadChildren();
    panel.current?.focus();
  }, [taskId]);

  // others' changes: a clean form follows them; a form with unsaved edits keeps them, and
  // saving those edits then meets the server's version check
  useEffect(() => {
    const event = props.lastEvent;
    if (!event) return;
    if (event.task_id === taskId) {
      if (isTaskEvent(event) && event.snapshot) {
        const theirs = event.snapshot;
        if (event.type === "task.deleted") {
          setError("This task was deleted.");
          return;
        }
        const mine = task;
        if (!mine || mine.version >= theirs.version) {
          // already have it (our own save answered first)
        } else if (dirty) {
          // keep the version the edits started from: saving them meets the version check
          setStale(true);
        } else {
          setTask(theirs);
          setDraft(draftOf(theirs));
        }
      }
      if (event.type.startsWith("comment.")) void loadComments();
      void loadHistory();
    } else if (isTaskEvent(event) && event.snapshot?.parent_id === taskId) {
      void loadChildren();
    }
  }, [props.lastEvent]);

  useEffect(() => {
    const escape = (e: KeyboardEvent) => e.key === "Escape" && !dirty && props.onClose();
    addEventListener("keydown", escape);
    return () => removeEventListener("keydown", escape);
  }, [dirty]);

  const save = async (base: Task, changes: Edits) => {
    setSaving(true);
    setError(null);
    const { status_id: _s, archived: _a, ...shown } = changes;
    const opId = props.optimistic.begin(taskId, shown); // the card shows the edit at once
    try {
      const saved = await ok(
        api.PATCH("/api/v1/tasks/{task_id}", {
          params: { path: { task_id: taskId }, header: { "If-Match": etagOf(base.version) } },
          body: changes,
        }),
      );
      props.optimistic.done(opId, saved.version);
      setTask(saved);
      setDraft(draftOf(saved));
      setConflict(null);
      setStale(false);
    } catch (e) {
      props.optimistic.done(opId); // undone on the card
      if (e instanceof ApiError && e.status === 412) {
        const theirs = await loadTask();
        if (theirs) {
          setStale(false);
          setDraft(draftOf(theirs));
          setConflict({ mine: changes, theirs });
        }
      } else {
        setError(message(e));
      }
    } finally {
      setSaving(false);
    }
  };

  const remove = async (base: Task) => {
    const note = children.length ? " Delete or move its sub-tasks first." : "";
    if (!confirm(`Delete ${base.number} for good? Its comments go too.${note}`)) return;
    try {
      await ok(
        api.DELETE("/api/v1/tasks/{task_id}", {
          params: { path: { task_id: taskId }, header: { "If-Match": etagOf(base.version) } },
        }),
      );
      props.onClose();
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 412
          ? "Someone else changed this task; it was not deleted. Look at their change first."
          : message(e),
      );
      if (e instanceof ApiError && e.status === 412) void loadTask().then((t) => t && setDraft(draftOf(t)));
    }
  };

  const comment = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const body = String(new FormData(form).get("body")).trim();
    if (!body) return;
    try {
      await ok(
        api.POST("/api/v1/tasks/{task_id}/comments", {
          params: { path: { task_id: taskId }, header: { "Idempotency-Key": idempotencyKey() } },
          body: { body },
        }),
      );
      form.reset();
      void loadComments();
    } catch (e) {
      setError(message(e));
    }
  };

  const addChild = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const title = String(new FormData(form).get("title")).trim();
    if (!title || !task) return;
    try {
      await ok(
        api.POST("/api/v1/projects/{project_id}/tasks", {
          params: { path: { project_id: board.projectId }, header: { "Idempotency-Key": idempotencyKey() } },
          body: { title, parent_id: task.id, status_id: task.status_id },
        }),
      );
      form.reset();
      void loadChildren();
    } catch (e) {
      setError(message(e));
    }
  };

  const set = (patch: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...patch } : d));
  const readOnly = !props.canWrite;

  return (
    <div class="drawer-backdrop" onClick={(e) => e.target === e.currentTarget && !dirty && props.onClose()}>
      <aside class="drawer" ref={panel} tabIndex={-1} role="dialog" aria-label="Task">
        <header class="drawer-header">
          <span class="task-number">{task?.number ?? "…"}</span>
          {task?.archived_at && <span class="badge">Archived</span>}
          <button type="button" class="icon-button" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </header>
        {error && (
          <Notice tone="error" onClose={() => setError(null)}>
            {error}
          </Notice>
        )}
        {stale && !conflict && (
          <Notice tone="info">Someone else changed this task while you were editing it.</Notice>
        )}
        {conflict && draft && (
          <Notice tone="warning">
            <strong>Someone else changed this task while you were editing.</strong> The fields show
            their version (v{conflict.theirs.version}); your changes are kept:
            <ul class="conflict-list">
              {Object.entries(conflict.mine).map(([field, value]) => (
                <li key={field}>
                  {field}: <code>{String(value ?? "—")}</code>
                </li>
              ))}
            </ul>
            <div class="button-row">
              <button type="button" class="primary" disabled={saving} onClick={() => void save(conflict.theirs, conflict.mine)}>
                Apply my changes
              </button>
              <button
                type="button"
                onClick={() => setConflict(null)}
              >
                Keep theirs
              </button>
            </div>
          </Notice>
        )}
        {task && draft && (
          <form
            class="task-form"
            onSubmit={(e) => {
              e.preventDefault();
              const changes = edits(task, draft);
              if (Object.keys(changes).length) void save(task, changes);
            }}
          >
            <input
              class="title-input"
              aria-label="Title"
              value={draft.title}
              readOnly={readOnly}
              maxLength={500}
              onInput={(e) => set({ title: e.currentTarget.value })}
            />
            <div class="field-grid">
              <label>
                Status
                <select
                  value={String(draft.status_id)}
                  disabled={readOnly}
                  onChange={(e) => set({ status_id: Number(e.currentTarget.value) })}
                >
                  {board.statuses.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Assignee
                <select
                  value={draft.assignee_id === null ? "" : String(draft.assignee_id)}
                  disabled={readOnly}
                  onChange={(e) => {
                    const v = e.currentTarget.value;
                    set({ assignee_id: v ? Number(v) : null });
                  }}
                >
                  <option value="">Unassigned</option>
                  {props.members.map((m) => (
                    <option key={m.user_id} value={m.user_id}>
                      {m.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Priority
                <select
                  value={draft.priority}
                  disabled={readOnly}
                  onChange={(e) => set({ priority: e.currentTarget.value as Task["priority"] })}
                >
                  {PRIORITIES.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Due
                <input
                  type="date"
                  value={draft.due_date ?? ""}
                  readOnly={readOnly}
                  onInput={(e) => set({ due_date: e.currentTarget.value || null })}
                />
              </label>
            </div>
            {board.labels.length > 0 && (
              <fieldset class="label-picker">
                <legend>Labels</legend>
                {board.labels.map((l) => (
                  <label key={l.id} class="label-chip" style={{ "--label": l.color }}>
                    <input
                      type="checkbox"
                      checked={draft.labels.includes(l.id)}
                      disabled={readOnly}
                      onChange={(e) =>
                        set({
                          labels: e.currentTarget.checked
                            ? [...draft.labels, l.id].sort((a, b) => a - b)
                            : draft.labels.filter((x) => x !== l.id),
                        })
                      }
                    />
                    {l.name}
                  </label>
                ))}
              </fieldset>
            )}
            <label>
              Description
              <MentionBox
                people={props.members}
                rows={6}
                value={draft.description}
                readOnly={readOnly}
                maxLength={100000}
                onValue={(text) => set({ description: text })}
              />
            </label>
            {draft.description.trim() !== "" && (
              <Markdown
                source={draft.description}
                label="Preview"
                onTick={
                  readOnly || dirty
                    ? undefined
                    : (line, checked) =>
                        void save(task, { description: toggleTask(task.description, line, checked) })
                }
              />
            )}
            {props.canWrite && (
              <div class="button-row">
                <button type="submit" class="primary" disabled={!dirty || saving || conflict !== null}>
                  {saving ? "Saving…" : "Save"}
                </button>
                <button type="button" disabled={!dirty} onClick={() => setDraft(draftOf(task))}>
                  Discard
                </button>
                <button
                  type="button"
                  class="link-button"
                  onClick={() => void save(task, { archived: task.archived_at === null })}
                >
                  {task.archived_at === null ? "Archive" : "Restore"}
                </button>
                <button type="button" class="link-button danger" onClick={() => void remove(task)}>
                  Delete
                </button>
              </div>
            )}
          </form>
        )}

        <section class="drawer-section" aria-label="Sub-tasks">
          <h3>Sub-tasks</h3>
          <ul class="plain-list">
            {children.map((child) => (
              <li key={child.id}>
                <button type="button" class="link-button" onClick={() => props.onOpen(child.id)}>
                  {child.number}
                </button>{" "}
                {child.title}
                <span class="muted"> · {board.statuses.find((s) => s.id === child.status_id)?.name}</span>
              </li>
            ))}
          </ul>
          {props.canWrite && task && (
            <form class="inline-form" onSubmit={addChild}>
              <input name="title" placeholder="Add a sub-task" aria-label="New sub-task" maxLength={500} />
            </form>
          )}
        </section>

        <Attachments
          taskId={taskId}
          canWrite={props.canWrite}
          lastEvent={props.lastEvent}
          onError={setError}
        />

        <section class="drawer-section" aria-label="Comments">
          <h3>Comments</h3>
          <ul class="comments">
            {comments.map((c) => (
              <li key={c.id} class="comment">
                <Avatar id={c.author_id} name={names[c.author_id] ?? "?"} size="sm" />
                <div>
                  <div class="muted">
                    {names[c.author_id] ?? `User ${c.author_id}`} · <When iso={c.created_at} />
                  </div>
                  <Markdown source={c.body} class="comment-body" />
                </div>
              </li>
            ))}
          </ul>
          {props.canWrite && (
            <form class="comment-form" onSubmit={comment}>
              <MentionBox
                people={props.members}
                name="body"
                rows={2}
                placeholder="Write a comment (@ to mention)"
                aria-label="New comment"
                maxLength={20000}
              />
              <button type="submit">Comment</button>
            </form>
          )}
        </section>

        <section class="drawer-section" aria-label="History">
          <h3>History</h3>
          <ol class="history">
            {[...history].reverse().map((e) => (
              <li key={e.seq}>
                <span class="muted">
                  <When iso={e.created_at} />
                </span>{" "}
                {describeEvent(e, names, board.statuses)}
              </li>
            ))}
          </ol>
        </section>
      </aside>
    </div>
  );
}

type Render = (text: string) => string;
let renderer: Promise<Render> | null = null;

/** Sanitized markdown (the renderer is a chunk of its own, fetched on first use; until then
 * the text shows as typed); with `onTick`, its task-list checkboxes can be ticked. */
function Markdown(props: {
  source: string;
  label?: string;
  class?: string;
  onTick?: (line: number, checked: boolean) => void;
}) {
  const classes = `markdown ${props.class ?? ""}`;
  const { done, total } = taskProgress(props.source);
  const [render, setRender] = useState<Render | null>(null);
  useEffect(() => {
    renderer ??= import("../markdown/render").then((m) => m.renderMarkdown);
    renderer.then((r) => setRender(() => r)).catch(() => (renderer = null));
  }, []);
  if (render === null) {
    return (
      <div class={`${classes} plain`} aria-label={props.label}>
        {props.source}
      </div>
    );
  }
  return (
    <div
      class={classes}
      aria-label={props.label && total > 0 ? `${props.label}, ${done} of ${total} done` : props.label}
      onClick={(event) => {
        const box = event.target as HTMLElement;
        if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
        if (!props.onTick) {
          event.preventDefault(); // read-only: the box stays as the text says
          return;
        }
        props.onTick(Number(box.dataset.taskLine), box.checked);
      }}
      // renderMarkdown sanitizes (DOMPurify): no raw HTML from the text reaches the page
      dangerouslySetInnerHTML={{ __html: render(props.source) }}
    />
  );
}
