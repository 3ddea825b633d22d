// Shapes of the API's JSON, named for the board. openapi.d.ts is generated from the server's
// OpenAPI document (`npm run gen:api`), so a renamed field or a new event type fails `tsc`.

import type { components, operations } from "./openapi";

type Schemas = components["schemas"];

export type Priority = Schemas["PriorityName"];
export const PRIORITIES: Priority[] = ["none", "low", "medium", "high", "urgent"];

export type User = Schemas["UserOut"];
export type Project = Schemas["ProjectOut"];
export type Task = Schemas["TaskOut"];
export type Status = Schemas["StatusOut"];
export type Label = Schemas["LabelOut"];
export type Member = Schemas["MemberOut"];
export type Comment = Schemas["CommentOut"];
export type BoardColumn = Schemas["Column"];
export type BoardOut = Schemas["BoardOut"];
export type TaskPage = Schemas["TaskPage"];

export type EventType = Schemas["EventType"];
/** One committed change, as the activity log and the live stream carry it: a union told apart
 * by `type`, each family with its own `changes` and `snapshot`. */
export type LiveEvent = Schemas["EventOut"];
export type TaskEvent = Schemas["TaskEventOut"];
/** Whatever the live socket sends: events, and presence or reload notices between them. */
export type LiveMessage = Schemas["LiveMessage"];
/** The task list's query parameters. */
export type TaskQuery = NonNullable<operations["list_tasks"]["parameters"]["query"]>;
export type Notification = Schemas["NotificationOut"];
export type MyTask = Schemas["MyTaskOut"];
export type MyTaskPage = Schemas["MyTaskPage"];
export type Attachment = Schemas["AttachmentOut"];

// every task event type, and no other: a type the server adds or drops fails `tsc` here
const TASK_EVENT_TYPES: Record<TaskEvent["type"], true> = {
  "task.created": true,
  "task.updated": true,
  "task.moved": true,
  "task.archived": true,
  "task.restored": true,
  "task.deleted": true,
};

/** A task's event: its snapshot is the task (as it was, for a deletion). */
export function isTaskEvent(event: LiveEvent): event is TaskEvent {
  return Object.hasOwn(TASK_EVENT_TYPES, event.type);
}
