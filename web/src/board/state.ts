// The board as the server knows it, advanced only by the project's events in seq order, plus
// this viewer's pending changes laid over it. Pure functions: the UI and the tests share them.

import { type BoardOut, isTaskEvent, type Label, type LiveEvent, type Status, type Task, type TaskEvent } from "../types";
import { type Filter, matches } from "./filter";

export interface Column {
  /** Loaded task ids in (rank, id) order: always a prefix of the column. */
  ids: number[];
  /** Where the next page starts; null once the whole column is loaded. */
  cursor: string | null;
  /** The (rank, id) the cursor continues after: the last task of the last page fetched. It
   * stays put when that task moves away, so nothing between it and the next page is lost. */
  edge: Edge | null;
}

export type Edge = Pick<Task, "rank" | "id">;

function edgeOf(items: Task[], cursor: string | null): Edge | null {
  const last = items[items.length - 1];
  return cursor && last ? { rank: last.rank, id: last.id } : null;
}

export interface BoardState {
  projectId: number;
  key: string;
  /** The last event folded in. */
  seq: number;
  statuses: Status[];
  columns: Record<number, Column>;
  tasks: Record<number, Task>;
  labels: Label[];
  users: Record<number, string>;
  filter: Filter;
  /** Columns whose order changed wholesale (a rebalance) while paged: fetch them again. */
  stale: number[];
}

export function fromBoard(board: BoardOut, filter: Filter = {}): BoardState {
  const tasks: Record<number, Task> = {};
  const columns: Record<number, Column> = {};
  for (const column of board.columns) {
    for (const task of column.tasks) tasks[task.id] = task;
    columns[column.id] = {
      ids: column.tasks.map((t) => t.id),
      cursor: column.next_cursor,
      edge: edgeOf(column.tasks, column.next_cursor),
    };
  }
  const users: Record<number, string> = {};
  for (const user of board.users) users[user.id] = user.name;
  return {
    projectId: board.project_id,
    key: board.key,
    seq: board.seq,
    statuses: sortStatuses(board.columns.map(({ tasks: _t, next_cursor: _c, ...s }) => s)),
    columns,
    tasks,
    labels: board.labels,
    users,
    filter,
    stale: [],
  };
}

/** Replace a column's tasks (first page) or add the next page to it. */
export function withPage(
  state: BoardState,
  statusId: number,
  items: Task[],
  cursor: string | null,
  replace: boolean,
): BoardState {
  const tasks = { ...state.tasks };
  for (const task of items) {
    const known = tasks[task.id];
    if (!known || known.version <= task.version) tasks[task.id] = task;
  }
  const before = replace ? [] : (state.columns[statusId]?.ids ?? []);
  const seen = new Set(before);
  const ids = [...before, ...items.map((t) => t.id).filter((id) => !seen.has(id))];
  const column = {
    ids: ids.filter((id) => tasks[id].status_id === statusId && isLive(tasks[id])),
    cursor,
    edge: edgeOf(items, cursor),
  };
  column.ids.sort((a, b) => compareRank(tasks[a], tasks[b]));
  return {
    ...state,
    tasks,
    columns: { ...state.columns, [statusId]: column },
    stale: state.stale.filter((id) => id !== statusId),
  };
}

export function isLive(task: Task): boolean {
  return task.archived_at === null;
}

/** Ranks are byte-ordered ASCII keys, the same order JavaScript compares strings in. */
export function compareRank(a: Edge, b: Edge): number {
  if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
  return a.id - b.id;
}

function sortStatuses(statuses: Status[]): Status[] {
  return [...statuses].sort((a, b) => a.position - b.position || a.id - b.id);
}

/** Put `status` at its position among the others and number them all from 0, as the server
 * does: a status created or moved to a position shifts the ones from there on along. */
function placeStatus(statuses: Status[], status: Status): Status[] {
  const order = sortStatuses(statuses.filter((s) => s.id !== status.id));
  order.splice(Math.min(status.position, order.length), 0, status);
  return order.map((s, position) => (s.position === position ? s : { ...s, position }));
}

/** Fold one event in. Events at or below `seq` were folded in already and change nothing. */
export function applyEvent(state: BoardState, event: LiveEvent): BoardState {
  if (event.seq <= state.seq) return state;
  const next = { ...state, seq: event.seq };
  if (isTaskEvent(event)) return applyTaskEvent(next, event);
  if (event.type.startsWith("status.")) return applyStatusEvent(next, event);
  if (event.type === "label.created" && event.snapshot) {
    return { ...next, labels: [...next.labels, event.snapshot] };
  }
  if (event.type === "label.updated" && event.snapshot) {
    const label = event.snapshot;
    return { ...next, labels: next.labels.map((l) => (l.id === label.id ? label : l)) };
  }
  if (event.type === "label.deleted") {
    // the tasks that had it came first, each in its own task.updated event
    return { ...next, labels: next.labels.filter((l) => l.id !== event.subject_id) };
  }
  return next;
}

function applyTaskEvent(state: BoardState, event: TaskEvent): BoardState {
  const after = event.snapshot;
  if (after === null) return state; // the server sends each task event with its task
  const changes = event.changes;
  const created = event.type === "task.created";
  const deleted = event.type === "task.deleted";
  // The state before this event, from the snapshot after it and the fields it changed.
  const beforeStatus = changes.status_id?.[0] ?? after.status_id;
  const beforeLive = changes.archived_at ? changes.archived_at[0] === null : isLive(after);
  const statuses = state.statuses.map((status) => {
    let count = status.count;
    if (!created && beforeLive && status.id === beforeStatus) count -= 1;
    if (!deleted && isLive(after) && status.id === after.status_id) count += 1;
    return count === status.count ? status : { ...status, count };
  });

  const tasks = { ...state.tasks };
  const columns = { ...state.columns };
  for (const [id, column] of Object.entries(columns)) {
    if (column.ids.includes(after.id)) {
      columns[Number(id)] = { ...column, ids: column.ids.filter((t) => t !== after.id) };
    }
  }
  if (deleted) {
    delete tasks[after.id];
  } else {
    tasks[after.id] = after;
    const column = columns[after.status_id];
    if (column && isLive(after) && matches(after, state.filter)) {
      columns[after.status_id] = place(column, after, tasks);
    }
  }
  return { ...state, statuses, tasks, columns };
}

/** Put a task into a column if it falls within the loaded prefix. */
function place(column: Column, task: Task, tasks: Record<number, Task>): Column {
  const within = column.cursor === null || (column.edge !== null && compareRank(task, column.edge) <= 0);
  if (!within) return column; // a later page brings it: cursors are keyset on (rank, id)
  const ids = [...column.ids];
  let at = ids.findIndex((id) => compareRank(task, tasks[id]) < 0);
  if (at < 0) at = ids.length;
  ids.splice(at, 0, task.id);
  return { ...column, ids };
}

function applyStatusEvent(state: BoardState, event: LiveEvent): BoardState {
  const id = event.subject_id;
  if (event.type === "status.created" && event.snapshot) {
    const status = { ...event.snapshot, count: 0 };
    return {
      ...state,
      statuses: placeStatus(state.statuses, status),
      columns: { ...state.columns, [id]: { ids: [], cursor: null, edge: null } },
    };
  }
  if (event.type === "status.updated" && event.snapshot) {
    const snapshot = event.snapshot;
    // positions of the others shift too; the snapshot carries only this one's
    const current = state.statuses.find((s) => s.id === id);
    if (!current) return state;
    return { ...state, statuses: placeStatus(state.statuses, { ...snapshot, count: current.count }) };
  }
  if (event.type === "status.deleted") {
    const columns = { ...state.columns };
    delete columns[id];
    return { ...state, statuses: state.statuses.filter((s) => s.id !== id), columns };
  }
  if (event.type === "status.rebalanced") {
    const ranks = event.changes.ranks ?? {};
    const tasks = { ...state.tasks };
    for (const [taskId, rank] of Object.entries(ranks)) {
      const task = tasks[Number(taskId)];
      // the server gives every re-keyed task a new version, too
      if (task) tasks[task.id] = { ...task, rank, version: task.version + 1 };
    }
    const column = state.columns[id];
    const stale = column?.cursor ? [...new Set([...state.stale, id])] : state.stale;
    const ids = column ? [...column.ids].sort((a, b) => compareRank(tasks[a], tasks[b])) : [];
    return {
      ...state,
      tasks,
      stale,
      columns: column ? { ...state.columns, [id]: { ...column, ids } } : state.columns,
    };
  }
  return state;
}

// ---- this viewer's pending changes -------------------------------------------------------

export interface PendingMove {
  kind: "move";
  opId: number;
  taskId: number;
  statusId: number;
  afterId: number | null;
  beforeId: number | null;
  /** The version the server answered with; the op is done once the board has it. */
  confirmed?: number;
}

export interface PendingEdit {
  kind: "edit";
  opId: number;
  taskId: number;
  fields: EditFields;
  confirmed?: number;
}

/** What an edit shows on its card before the server answers; status changes wait for it. */
export type EditFields = Partial<
  Pick<Task, "title" | "description" | "assignee_id" | "priority" | "labels" | "due_date">
>;

export type Pending = PendingMove | PendingEdit;

/** Drop the ops the board has caught up with: its task is at the answered version or later
 * (the answer and the task's event race; whichever comes second settles the op). */
export function settle(state: BoardState, pending: Pending[]): Pending[] {
  return pending.filter((op) => {
    if (op.confirmed === undefined) return true;
    const task = state.tasks[op.taskId];
    return task !== undefined && task.version < op.confirmed;
  });
}

export interface Model {
  board: BoardState | null;
  pending: Pending[];
}

export type Action =
  | { type: "loaded"; board: BoardState }
  | { type: "event"; event: LiveEvent }
  | { type: "page"; statusId: number; items: Task[]; cursor: string | null; replace: boolean }
  | { type: "op"; op: Pending }
  | { type: "confirmed"; opId: number; version: number }
  | { type: "dropped"; opId: number };

export function reduce(model: Model, action: Action): Model {
  const board = model.board;
  switch (action.type) {
    case "loaded":
      return { board: action.board, pending: settle(action.board, model.pending) };
    case "op":
      return { ...model, pending: [...model.pending, action.op] };
    case "dropped":
      return { ...model, pending: model.pending.filter((op) => op.opId !== action.opId) };
  }
  if (!board) return model;
  switch (action.type) {
    case "event": {
      const next = applyEvent(board, action.event);
      return next === board ? model : { board: next, pending: settle(next, model.pending) };
    }
    case "page":
      return {
        ...model,
        board: withPage(board, action.statusId, action.items, action.cursor, action.replace),
      };
    case "confirmed": {
      const pending = model.pending.map((op) =>
        op.opId === action.opId ? { ...op, confirmed: action.version } : op,
      );
      return { ...model, pending: settle(board, pending) };
    }
  }
}

/** The newest version of a task this viewer knows: the board's, or one the server answered. */
export function knownVersion(model: Model, taskId: number): number {
  let version = model.board?.tasks[taskId]?.version ?? 0;
  for (const op of model.pending) {
    if (op.taskId === taskId && op.confirmed !== undefined) version = Math.max(version, op.confirmed);
  }
  return version;
}

export interface ViewColumn {
  status: Status;
  tasks: Task[];
  /** More tasks exist below the loaded ones. */
  more: boolean;
  overLimit: boolean;
}

/** What the viewer sees: the server's board with pending changes applied. */
export function view(state: BoardState, pending: Pending[]): ViewColumn[] {
  const tasks = { ...state.tasks };
  const ids: Record<number, number[]> = {};
  const counts: Record<number, number> = {};
  for (const status of state.statuses) {
    ids[status.id] = [...(state.columns[status.id]?.ids ?? [])];
    counts[status.id] = status.count;
  }
  for (const op of pending) {
    const task = tasks[op.taskId];
    if (!task) continue;
    if (op.kind === "edit") {
      tasks[task.id] = { ...task, ...op.fields };
      continue;
    }
    if (!(op.statusId in ids)) continue;
    for (const list of Object.values(ids)) {
      const at = list.indexOf(task.id);
      if (at >= 0) list.splice(at, 1);
    }
    if (task.status_id !== op.statusId && isLive(task)) {
      counts[task.status_id] -= 1;
      counts[op.statusId] += 1;
    }
    tasks[task.id] = { ...task, status_id: op.statusId };
    const target = ids[op.statusId];
    let at = target.length;
    if (op.afterId !== null && target.includes(op.afterId)) at = target.indexOf(op.afterId) + 1;
    else if (op.beforeId !== null && target.includes(op.beforeId)) at = target.indexOf(op.beforeId);
    else if (op.afterId === null && op.beforeId !== null) at = 0;
    target.splice(at, 0, task.id);
  }
  return state.statuses.map((status) => {
    const count = counts[status.id];
    return {
      status: { ...status, count },
      tasks: ids[status.id].map((id) => tasks[id]),
      more: (state.columns[status.id]?.cursor ?? null) !== null,
      overLimit: status.wip_limit !== null && count > status.wip_limit,
    };
  });
}

/** The neighbours to send when `taskId` is dropped at `index` of a column's visible tasks. */
export function neighbours(
  visible: number[],
  taskId: number,
  index: number,
): { after_id: number | null; before_id: number | null } {
  const others = visible.filter((id) => id !== taskId);
  const origin = visible.indexOf(taskId);
  // indexes past the dragged card's old place shift up by one once it leaves
  const at = Math.max(0, Math.min(others.length, origin >= 0 && index > origin ? index - 1 : index));
  if (at > 0) return { after_id: others[at - 1], before_id: null };
  if (others.length) return { after_id: null, before_id: others[0] };
  return { after_id: null, before_id: null };
}
