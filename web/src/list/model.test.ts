import { describe, expect, it } from "vitest";

import { fromBoard } from "../board/state";
import { makeEvent, makeTask } from "../testing";
import type { BoardOut, LiveEvent, Task } from "../types";
import { loaded, type Model, reduce } from "./model";
import { emptyRows, withPage } from "./rows";

function project(seq: number): BoardOut {
  const status = { id: 1, project_id: 1, name: "Todo", category: "unstarted" as const, position: 0, wip_limit: null };
  return {
    project_id: 1,
    key: "LW",
    seq,
    columns: [{ ...status, count: 0, tasks: [], next_cursor: null }],
    labels: [],
    users: [
      { id: 7, name: "Ada" },
      { id: 8, name: "Bob" },
    ],
  };
}

function updated(seq: number, task: Task): LiveEvent {
  return makeEvent(seq, { type: "task.updated", snapshot: task });
}

const context = { statusPosition: { 1: 0 }, names: { 7: "Ada", 8: "Bob" } };
const byTitle = { key: "title" as const, descending: false };

describe("the list page's model", () => {
  it("folds the events seen during a load into the new rows, never going back a version", () => {
    const state = fromBoard(project(5));
    const start: Model = reduce(
      { project: null, rows: null, pending: [] },
      loaded(state, withPage(emptyRows(byTitle, {}), [], null, context, true), []),
    );
    const seen = [
      updated(6, makeTask({ id: 1, title: "b", version: 2 })),
      updated(7, makeTask({ id: 2, title: "a", version: 1 })),
    ];
    let model = start;
    for (const event of seen) model = reduce(model, { type: "event", event });
    expect(model.project!.seq).toBe(7);
    // a new sort's page, fetched after both events; task 1 is at version 3 by then
    const page = withPage(emptyRows(byTitle, {}), [makeTask({ id: 1, title: "c", version: 3 })], null, context, true);
    model = reduce(model, { type: "rows", rows: page, recent: seen });
    expect(model.rows!.ids).toEqual([2, 1]);
    expect(model.rows!.tasks[1].title).toBe("c");
    // an event already folded in changes nothing
    expect(reduce(model, { type: "event", event: seen[1] })).toBe(model);
  });

  it("loads the rows again when an assignee's name changes under the assignee sort", () => {
    const state = fromBoard(project(1));
    const byAssignee = { key: "assignee" as const, descending: false };
    const model = reduce(
      { project: null, rows: null, pending: [] },
      loaded(state, withPage(emptyRows(byAssignee, {}), [], null, context, true), []),
    );
    expect(reduce(model, { type: "people", names: { 7: "Ada" } }).rows!.stale).toBe(false);
    const renamed = reduce(model, { type: "people", names: { 7: "Zed" } });
    expect(renamed.rows!.stale).toBe(true);
    expect(renamed.project!.users[7]).toBe("Zed");
  });

  it("keeps an edit shown until the rows have the version its answer named", () => {
    const state = fromBoard(project(1));
    let model = reduce(
      { project: null, rows: null, pending: [] },
      loaded(state, withPage(emptyRows(byTitle, {}), [makeTask({ id: 1 })], null, context, true), []),
    );
    model = reduce(model, { type: "op", op: { opId: 1, taskId: 1, fields: { priority: "high" } } });
    model = reduce(model, { type: "confirmed", opId: 1, version: 2 });
    expect(model.pending).toHaveLength(1);
    model = reduce(model, { type: "event", event: updated(2, makeTask({ id: 1, priority: "high", version: 2 })) });
    expect(model.pending).toHaveLength(0);
  });
});
