// Factories for the unit tests (never imported by the app, so never bundled).

import type { Task } from "./types";

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
