// Board filters: kept in the URL so a filtered board can be shared and reloaded.

import { PRIORITIES, type Priority, type Task, type TaskQuery } from "../types";

export interface Filter {
  assignee?: number | "none";
  labels?: number[];
  priority?: Priority;
  q?: string;
}

export function isFiltered(filter: Filter): boolean {
  return (
    filter.assignee !== undefined ||
    (filter.labels?.length ?? 0) > 0 ||
    filter.priority !== undefined ||
    Boolean(filter.q?.trim())
  );
}

export function filterFromQuery(search: string): Filter {
  const params = new URLSearchParams(search);
  const filter: Filter = {};
  const assignee = params.get("assignee");
  if (assignee === "none") filter.assignee = "none";
  else if (assignee && /^\d+$/.test(assignee)) filter.assignee = Number(assignee);
  const labels = params.getAll("label").filter((l) => /^\d+$/.test(l)).map(Number);
  if (labels.length) filter.labels = labels;
  const priority = params.get("priority");
  if (priority && (PRIORITIES as string[]).includes(priority)) filter.priority = priority as Priority;
  const q = params.get("q")?.trim();
  if (q) filter.q = q;
  return filter;
}

/** The filter as URL parameters; the same names the task list API takes. */
/** The filter as the task list's query parameters (the API's names: `tsc` checks them). */
export function filterParams(filter: Filter): TaskQuery {
  const query: TaskQuery = {};
  if (filter.assignee === "none") query.unassigned = true;
  else if (filter.assignee !== undefined) query.assignee = [filter.assignee];
  if (filter.labels?.length) query.label = [...filter.labels];
  if (filter.priority) query.priority = [filter.priority];
  if (filter.q?.trim()) query.q = filter.q.trim();
  return query;
}

export function filterToQuery(filter: Filter): string {
  const params = new URLSearchParams();
  if (filter.assignee !== undefined) params.set("assignee", String(filter.assignee));
  for (const label of filter.labels ?? []) params.append("label", String(label));
  if (filter.priority) params.set("priority", filter.priority);
  if (filter.q?.trim()) params.set("q", filter.q.trim());
  const text = params.toString();
  return text ? `?${text}` : "";
}

function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** The server's filter, applied to a task a live event brings. Text search matches every word
 * of the query as a prefix of a word in the title or description, as the server's search does. */
export function matches(task: Task, filter: Filter): boolean {
  if (filter.assignee === "none" && task.assignee_id !== null) return false;
  if (typeof filter.assignee === "number" && task.assignee_id !== filter.assignee) return false;
  if (filter.labels?.some((l) => !task.labels.includes(l))) return false;
  if (filter.priority && task.priority !== filter.priority) return false;
  if (filter.q?.trim()) {
    const text = words(`${task.title} ${task.description}`);
    if (!words(filter.q).every((w) => text.some((t) => t.startsWith(w)))) return false;
  }
  return true;
}
