// Shapes of the API's JSON, named for the board. openapi.d.ts is generated from the server's
// OpenAPI document (`npm run gen:api`), so a renamed field or a new event type fails `tsc`.

import type { components } from "./openapi";

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
export type CommentPage = Schemas["CommentPage"];
export type EventPage = Schemas["EventPage"];
export type TicketOut = Schemas["TicketOut"];

export type EventType = Schemas["EventType"];
/** One committed change, as the activity log and the live stream carry it. */
export type LiveEvent = Schemas["LiveEvent"];
/** Whatever the live socket sends: events, and presence or reload notices between them. */
export type LiveMessage = LiveEvent | Schemas["LivePresence"] | Schemas["LiveReload"];
export type Notification = Schemas["NotificationOut"];
export type NotificationPage = Schemas["NotificationPage"];
export type MyTask = Schemas["MyTaskOut"];
export type MyTaskPage = Schemas["MyTaskPage"];
export type InboxChange = Schemas["InboxChange"];
export type Attachment = Schemas["AttachmentOut"];
export type AttachmentPage = Schemas["AttachmentPage"];
