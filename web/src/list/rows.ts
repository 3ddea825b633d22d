// The list view's rows: a loaded prefix of the project's tasks in the chosen order, kept exact by
// the project's events, with this viewer's unanswered edits laid over it. Pure functions: the
// page and the tests share them.

import { type Filter, matches } from "../board/filter";
import { isTaskEvent, type LiveEvent, type Task } from "../types";
import { compareTasks, type OrderContext, type Sort } from "./order";

export interface Rows {
  sort: Sort;
  filter: Filter;
  /** Loaded task ids in order: always a prefix of the whole list. */
  ids: number[];
  tasks: Record<number, Task>;
  /** Where the next page starts; null once everything is loaded. */
  cursor: string | null;
  /** The last task of the last page fetched, as fetched: the next page continues after it,
   * so a task that sorts before it belongs in the loaded rows. */
  edge: Task | null;
  /** The order itself changed (a status moved in the workflow): load again from the top. */
  stale: boolean;
}

export function emptyRows(sort: Sort, filter: Filter): Rows {
  return { sort, filter, ids: [], tasks: {}, cursor: null, edge: null, stale: false };
}

/** The first page (replace) or the next one after the loaded rows. */
export function withPage(
  rows: Rows,
  items: Task[],
  cursor: string | null,
  context: OrderContext,
  replace = false,
): Rows {
  const tasks = replace ? {} : { ...rows.tasks };
  for (const task of items) {
    const known = tasks[task.id];
    if (!known || known.version <= task.version) tasks[task.id] = task;
  }
  const ids = [...new Set([...(replace ? [] : rows.ids), ...items.map((t) => t.id)])].filter((id) =>
    belongs(tasks[id], rows.filter),
  );
  ids.sort((a, b) => compareTasks(tasks[a], tasks[b], rows.sort, context));
  const last = items[items.length - 1];
  return { ...rows, ids, tasks, cursor, edge: cursor && last ? last : null, stale: replace ? false : rows.stale };
}

function belongs(task: Task, filter: Filter): boolean {
  return task.archived_at === null && matches(task, filter);
}

/** Put a task where it sorts, if that is within the loaded prefix; or take it out. */
export function placed(rows: Rows, task: Task | null, id: number, context: OrderContext): Rows {
  const tasks = { ...rows.tasks };
  let ids = rows.ids.filter((other) => other !== id);
  if (task === null) {
    delete tasks[id];
  } else {
    tasks[id] = task;
    const within =
      rows.cursor === null || (rows.edge !== null && compareTasks(task, rows.edge, rows.sort, context) <= 0);
    if (belongs(task, rows.filter) && within) {
      let at = ids.findIndex((other) => compareTasks(task, tasks[other], rows.sort, context) < 0);
      if (at < 0) at = ids.length;
      ids = [...ids.slice(0, at), id, ...ids.slice(at)];
    }
  }
  return { ...rows, ids, tasks };
}

/** Fold one of the project's events in. `before` is the order the rows were sorted in until
 * now: when an event changes the order itself, the rows are loaded again. */
export function applyEvent(rows: Rows, event: LiveEvent, context: OrderContext, before: OrderContext): Rows {
  if (event.type.startsWith("status.")) {
    return rows.sort.key === "status" && !samePositions(context, before) ? { ...rows, stale: true } : rows;
  }
  if (!isTaskEvent(event) || event.task_id === null) return rows;
  if (event.type === "task.deleted") return placed(rows, null, event.task_id, context);
  return event.snapshot ? withTask(rows, event.snapshot, context) : rows;
}

/** A task as an event or an answer carries it, unless a later version is known already. */
export function withTask(rows: Rows, task: Task, context: OrderContext): Rows {
  const known = rows.tasks[task.id];
  if (known && known.version > task.version) return rows;
  return placed(rows, task, task.id, context);
}

function samePositions(a: OrderContext, b: OrderContext): boolean {
  const ids = new Set([...Object.keys(a.statusPosition), ...Object.keys(b.statusPosition)]);
  return [...ids].every((id) => a.statusPosition[Number(id)] === b.statusPosition[Number(id)]);
}

/** An edit the server has not answered yet, shown at once. */
export interface PendingEdit {
  opId: number;
  taskId: number;
  fields: Partial<Task>;
  /** The version the server answered with, when the answer had no task in it (the drawer's):
   * the edit is shown until the rows have that version. */
  confirmed?: number;
}

/** Drop the edits the rows have caught up with. */
export function settle(rows: Rows, pending: PendingEdit[]): PendingEdit[] {
  return pending.filter((op) => {
    if (op.confirmed === undefined) return true;
    const task = rows.tasks[op.taskId];
    return task !== undefined && task.version < op.confirmed;
  });
}

/** The rows as this viewer sees them: pending edits applied, each row staying where it is
 * until the server answers (a row that jumps away under the pointer is worse than a late one). */
export function shown(rows: Rows, pending: PendingEdit[]): Task[] {
  const overlay = new Map<number, PendingEdit["fields"]>();
  for (const op of pending) overlay.set(op.taskId, { ...overlay.get(op.taskId), ...op.fields });
  return rows.ids.map((id) => {
    const fields = overlay.get(id);
    return fields ? { ...rows.tasks[id], ...fields } : rows.tasks[id];
  });
}
