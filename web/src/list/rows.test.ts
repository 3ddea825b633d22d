import { describe, expect, it } from "vitest";

import { makeEvent, makeTask } from "../testing";
import type { LiveEvent, Task, TaskEvent } from "../types";
import type { OrderContext, Sort } from "./order";
import { applyEvent, emptyRows, type Rows, shown, withPage, withTask } from "./rows";

const context: OrderContext = { statusPosition: { 1: 0, 2: 1 }, names: {} };
const byTitle: Sort = { key: "title", descending: false };

function event(seq: number, type: TaskEvent["type"], snapshot: Task | null, taskId?: number): LiveEvent {
  return makeEvent(seq, { type, snapshot }, taskId === undefined ? {} : { subject_id: taskId });
}

function titled(id: number, title: string, fields: Partial<Task> = {}): Task {
  return makeTask({ id, title, ...fields });
}

function titles(rows: Rows): string[] {
  return rows.ids.map((id) => rows.tasks[id].title);
}

/** b, d loaded; a page continues after d. */
function partly(): Rows {
  return withPage(emptyRows(byTitle, {}), [titled(2, "b"), titled(4, "d")], "next", context, true);
}

describe("list rows", () => {
  it("appends pages and keeps one row per task", () => {
    let rows = partly();
    rows = withPage(rows, [titled(4, "d"), titled(6, "f")], null, context);
    expect(titles(rows)).toEqual(["b", "d", "f"]);
    expect(rows.cursor).toBeNull();
    expect(rows.edge).toBeNull();
  });

  it("puts a new task in place when it sorts within the loaded rows, else leaves it to a page", () => {
    let rows = partly();
    rows = applyEvent(rows, event(1, "task.created", titled(3, "c")), context, context);
    expect(titles(rows)).toEqual(["b", "c", "d"]);
    rows = applyEvent(rows, event(2, "task.created", titled(5, "e")), context, context);
    expect(titles(rows)).toEqual(["b", "c", "d"]); // after the edge: the next page brings it
    rows = withPage(rows, [titled(5, "e")], null, context);
    expect(titles(rows)).toEqual(["b", "c", "d", "e"]);
  });

  it("moves a renamed task, and drops one that is archived, deleted or filtered out", () => {
    let rows = withPage(emptyRows(byTitle, { priority: "high" }), [], null, context, true);
    for (const [i, title] of ["a", "b", "c"].entries()) {
      rows = applyEvent(rows, event(i + 1, "task.created", titled(i + 1, title, { priority: "high" })), context, context);
    }
    rows = applyEvent(rows, event(4, "task.updated", titled(1, "z", { priority: "high", version: 2 })), context, context);
    expect(titles(rows)).toEqual(["b", "c", "z"]);
    rows = applyEvent(rows, event(5, "task.updated", titled(2, "b", { priority: "low", version: 2 })), context, context);
    expect(titles(rows)).toEqual(["c", "z"]);
    const archived = titled(3, "c", { priority: "high", version: 2, archived_at: "2026-01-02T00:00:00Z" });
    rows = applyEvent(rows, event(6, "task.archived", archived), context, context);
    expect(titles(rows)).toEqual(["z"]);
    rows = applyEvent(rows, event(7, "task.deleted", null, 1), context, context);
    expect(rows.ids).toEqual([]);
    expect(rows.tasks[1]).toBeUndefined();
  });

  it("ignores an event older than the version a page or an answer brought", () => {
    let rows = withPage(emptyRows(byTitle, {}), [titled(1, "new", { version: 3 })], null, context, true);
    rows = applyEvent(rows, event(1, "task.updated", titled(1, "old", { version: 2 })), context, context);
    expect(titles(rows)).toEqual(["new"]);
    rows = withTask(rows, titled(1, "newer", { version: 4 }), context);
    expect(titles(rows)).toEqual(["newer"]);
  });

  it("loads again when the workflow's order changes under a status sort", () => {
    const byStatus: Sort = { key: "status", descending: false };
    const rows = withPage(emptyRows(byStatus, {}), [makeTask({ id: 1 })], null, context, true);
    const moved: OrderContext = { ...context, statusPosition: { 1: 1, 2: 0 } };
    const status = makeEvent(1, { type: "status.updated", snapshot: null }, { subject_id: 2 });
    expect(applyEvent(rows, status, moved, context).stale).toBe(true);
    expect(applyEvent(rows, status, context, context).stale).toBe(false);
    expect(applyEvent({ ...rows, sort: byTitle }, status, moved, context).stale).toBe(false);
  });

  it("shows pending edits in place until the answer", () => {
    const rows = withPage(emptyRows(byTitle, {}), [titled(1, "a"), titled(2, "b")], null, context, true);
    const edits = [
      { opId: 1, taskId: 1, fields: { priority: "urgent" as const } },
      { opId: 2, taskId: 1, fields: { assignee_id: 7 } },
    ];
    const view = shown(rows, edits);
    expect(view.map((t) => [t.id, t.priority, t.assignee_id])).toEqual([
      [1, "urgent", 7],
      [2, "none", null],
    ]);
  });
});
