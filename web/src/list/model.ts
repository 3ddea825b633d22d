// The list page's state: the project (statuses, labels, people) as the board keeps it, the rows,
// and this viewer's pending edits; every event advances the project and the rows together.

import { applyEvent as applyToProject, type BoardState } from "../board/state";
import type { LiveEvent, Task } from "../types";
import type { OrderContext } from "./order";
import { applyEvent, type PendingEdit, type Rows, settle, withPage, withTask } from "./rows";

export interface Model {
  project: BoardState | null;
  rows: Rows | null;
  pending: PendingEdit[];
}

export type Action =
  | { type: "loaded"; project: BoardState; rows: Rows }
  /** New rows for the project as it is: the events seen meanwhile are folded into them. */
  | { type: "rows"; rows: Rows; recent: LiveEvent[] }
  | { type: "event"; event: LiveEvent }
  | { type: "page"; items: Task[]; cursor: string | null; replace: boolean }
  | { type: "op"; op: PendingEdit }
  | { type: "answer"; opId?: number; tasks: Task[] }
  | { type: "confirmed"; opId: number; version: number }
  | { type: "dropped"; opId: number }
  | { type: "people"; names: Record<number, string> };

export function orderContext(project: BoardState): OrderContext {
  const statusPosition: Record<number, number> = {};
  for (const status of project.statuses) statusPosition[status.id] = status.position;
  return { statusPosition, names: project.users };
}

/** The project and rows a fresh load brought, with the events seen meanwhile folded in. */
export function loaded(project: BoardState, rows: Rows, recent: LiveEvent[]): Action {
  let model: Model = { project, rows, pending: [] };
  for (const event of recent) model = reduce(model, { type: "event", event });
  return { type: "loaded", project: model.project!, rows: model.rows! };
}

export function reduce(model: Model, action: Action): Model {
  const { project, rows } = model;
  switch (action.type) {
    case "loaded":
      return { project: action.project, rows: action.rows, pending: settle(action.rows, model.pending) };
    case "op":
      return { ...model, pending: [...model.pending, action.op] };
    case "dropped":
      return { ...model, pending: model.pending.filter((op) => op.opId !== action.opId) };
  }
  if (!project || !rows) return model;
  const context = orderContext(project);
  switch (action.type) {
    case "event": {
      const next = applyToProject(project, action.event);
      if (next === project) return model; // folded in already
      const moved = applyEvent(rows, action.event, orderContext(next), context);
      return { project: next, rows: moved, pending: settle(moved, model.pending) };
    }
    case "rows": {
      // events the page already has change nothing: a task's older version is ignored
      let next = action.rows;
      for (const event of action.recent) next = applyEvent(next, event, context, context);
      return { ...model, rows: next, pending: settle(next, model.pending) };
    }
    case "page":
      return { ...model, rows: withPage(rows, action.items, action.cursor, context, action.replace) };
    case "answer": {
      let next = rows;
      for (const task of action.tasks) next = withTask(next, task, context);
      const pending = model.pending.filter((op) => op.opId !== action.opId);
      return { ...model, rows: next, pending: settle(next, pending) };
    }
    case "people": {
      const users = { ...project.users, ...action.names };
      const renamed = Object.keys(action.names).some((id) => project.users[Number(id)] !== users[Number(id)]);
      // an assignee's new name may move rows anywhere in the list: load it again
      const stale = rows.stale || (renamed && rows.sort.key === "assignee");
      return { ...model, project: { ...project, users }, rows: { ...rows, stale } };
    }
    case "confirmed": {
      const pending = model.pending.map((op) =>
        op.opId === action.opId ? { ...op, confirmed: action.version } : op,
      );
      return { ...model, pending: settle(rows, pending) };
    }
  }
}
