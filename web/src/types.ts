// Shapes of the API's JSON, as the OpenAPI document at /docs describes them.

export type Priority = "none" | "low" | "medium" | "high" | "urgent";
export const PRIORITIES: Priority[] = ["none", "low", "medium", "high", "urgent"];

export interface User {
  id: number;
  email: string;
  name: string;
}

export interface Project {
  id: number;
  key: string;
  name: string;
  description: string;
  archived_at: string | null;
  role: "owner" | "admin" | "member" | "viewer";
}

export interface Task {
  id: number;
  project_id: number;
  number: string;
  title: string;
  description: string;
  status_id: number;
  assignee_id: number | null;
  reporter_id: number;
  priority: Priority;
  labels: number[];
  due_date: string | null;
  estimate: number | null;
  parent_id: number | null;
  rank: string;
  archived_at: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface Status {
  id: number;
  project_id: number;
  name: string;
  category: string;
  position: number;
  wip_limit: number | null;
  count: number;
}

export interface Label {
  id: number;
  project_id: number;
  name: string;
  color: string;
}

export interface Member {
  user_id: number;
  email: string;
  name: string;
  role: Project["role"];
}

export interface Comment {
  id: number;
  task_id: number;
  author_id: number;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface BoardColumn extends Status {
  tasks: Task[];
  next_cursor: string | null;
}

export interface BoardOut {
  project_id: number;
  key: string;
  seq: number;
  columns: BoardColumn[];
  labels: Label[];
  users: { id: number; name: string }[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** One committed change, as the activity log and the live stream carry it. */
export interface LiveEvent {
  seq: number;
  type: string;
  actor_id: number | null;
  subject_id: number;
  task_id: number | null;
  changes: Record<string, unknown>;
  snapshot: Record<string, unknown> | null;
  created_at: string;
}
