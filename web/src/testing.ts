// Factories for the unit tests (never imported by the app, so never bundled).

import type { components } from "./openapi";
import type { LiveEvent, Task } from "./types";

/** A live task in status 1 with every optional field empty; `fields` override. */
export function makeTask(fields: Partial<Task> = {}): Task {
  const id = fields.id ?? 1;
  return {
    id,
    project_id: 1,
    number: `LW-${id}`,
    title: `Task ${id}`,
    description: "",
    status_id: 1,
    assignee_id: null,
    reporter_id: 1,
    priority: "none",
    labels: [],
    due_date: null,
    estimate: null,
    parent_id: null,
    rank: "m",
    archived_at: null,
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...fields,
  };
}

/** Each family's type with its own payloads, as the API's schema pairs them. */
type Payloads<E> = E extends LiveEvent
  ? { type: E["type"]; snapshot: E["snapshot"] } & (object extends E["changes"]
      ? { changes?: E["changes"] }
      : { changes: E["changes"] })
  : never;

/** An event's type and payloads, of any one family. */
export type EventPayloads = Payloads<LiveEvent>;

type Common = Pick<LiveEvent, "actor_id" | "subject_id" | "task_id">;

/** An event by user 1 about the snapshot's object (a task's: then its task_id too), unless
 * `fields` say otherwise. */
export function makeEvent(seq: number, payloads: EventPayloads, fields: Partial<Common> = {}): LiveEvent {
  const subject = fields.subject_id ?? (payloads.snapshot && "id" in payloads.snapshot ? payloads.snapshot.id : 0);
  const common: Common = {
    actor_id: 1,
    subject_id: subject,
    task_id: payloads.type.startsWith("task.") ? subject : null,
    ...fields,
  };
  return { seq, ...common, changes: {}, ...payloads, created_at: "2026-01-01T00:00:00Z" };
}

export type StatusEvent = components["schemas"]["StatusEventOut"];
export type LabelEvent = components["schemas"]["LabelEventOut"];
export type CommentEvent = components["schemas"]["CommentEventOut"];
