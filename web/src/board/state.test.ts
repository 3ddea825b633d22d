import { describe, expect, it } from "vitest";
import type { BoardColumn, BoardOut, Label, LiveEvent, Status, Task, TaskEvent } from "../types";
import {
  type Action,
  applyEvent,
  type BoardState,
  compareRank,
  fromBoard,
  isLive,
  knownVersion,
  type Model,
  neighbours,
  type Pending,
  type PendingEdit,
  type PendingMove,
  reduce,
  settle,
  view,
  withPage,
} from "./state";
import { type CommentEvent, type LabelEvent, makeEvent, makeTask, type StatusEvent } from "../testing";

// ---- factories ---------------------------------------------------------------------------

const T0 = "2026-01-01T00:00:00Z";

function task(fields: Partial<Task> & { id: number }): Task {
  return makeTask(fields);
}

function status(id: number, fields: Partial<Status> = {}): Status {
  return {
    id,
    project_id: 1,
    name: `Status ${id}`,
    category: "unstarted",
    position: id - 1,
    wip_limit: null,
    count: 0,
    ...fields,
  };
}

/** A status as the server's event snapshot carries it: no count. */
function statusSnapshot(id: number, fields: Partial<Status> = {}): Omit<Status, "count"> {
  const { count: _count, ...rest } = status(id, fields);
  return rest;
}

function column(
  id: number,
  tasks: Task[],
  fields: Partial<Status> & { cursor?: string | null } = {},
): BoardColumn {
  const { cursor = null, ...rest } = fields;
  return { ...status(id, { count: tasks.length, ...rest }), tasks, next_cursor: cursor };
}

function board(columns: BoardColumn[], seq = 10, labels: Label[] = []): BoardOut {
  return {
    project_id: 1,
    key: "LW",
    seq,
    columns,
    labels,
    users: [
      { id: 1, name: "Ada" },
      { id: 7, name: "Grace" },
    ],
  };
}

function taskEvent(seq: number, type: TaskEvent["type"], snapshot: Task | null, changes: TaskChanges = {}): LiveEvent {
  return makeEvent(seq, { type, snapshot, changes });
}

function statusEvent(
  seq: number,
  type: StatusEvent["type"],
  snapshot: StatusEvent["snapshot"],
  changes: StatusEvent["changes"] = {},
  subject?: number,
): LiveEvent {
  return makeEvent(seq, { type, snapshot, changes }, subject === undefined ? {} : { subject_id: subject });
}

function labelEvent(
  seq: number,
  type: LabelEvent["type"],
  snapshot: Label | null,
  changes: LabelEvent["changes"] = {},
  subject?: number,
): LiveEvent {
  return makeEvent(seq, { type, snapshot, changes }, subject === undefined ? {} : { subject_id: subject });
}

function commentEvent(seq: number, type: CommentEvent["type"], snapshot: CommentEvent["snapshot"]): LiveEvent {
  return makeEvent(seq, { type, snapshot });
}

function ids(state: BoardState, statusId: number): number[] | undefined {
  return state.columns[statusId]?.ids;
}

function counts(state: BoardState): Record<number, number> {
  return Object.fromEntries(state.statuses.map((s) => [s.id, s.count]));
}

function order(state: BoardState): number[] {
  return state.statuses.map((s) => s.id);
}

// A board with three columns:
//   1 "Todo"  complete: 11 (b), 12 (d), 13 (f)                           count 3, wip limit 3
//   2 "Doing" paged:    21 (b), 22 (d), cursor after 22; 3 more unloaded count 5
//   3 "Done"  empty                                                    count 0
function sample(seq = 10): BoardState {
  return fromBoard(
    board(
      [
        column(1, [task({ id: 11, rank: "b" }), task({ id: 12, rank: "d" }), task({ id: 13, rank: "f" })], {
          name: "Todo",
          wip_limit: 3,
        }),
        column(2, [task({ id: 21, rank: "b", status_id: 2 }), task({ id: 22, rank: "d", status_id: 2 })], {
          name: "Doing",
          count: 5,
          cursor: "after-22",
        }),
        column(3, [], { name: "Done", category: "done" }),
      ],
      seq,
    ),
  );
}

type TaskChanges = TaskEvent["changes"];

/** [before, after] of each field of `after` that differs, as the server lists a task's changes:
 * built field by field, so typed once it is whole. */
function diff(before: Task, after: Task, fields: (keyof Task)[]): TaskChanges {
  const changes: Record<string, unknown> = {};
  for (const key of fields) {
    if (key !== "version" && key !== "updated_at" && before[key] !== after[key]) changes[key] = [before[key], after[key]];
  }
  return changes as TaskChanges;
}

/** The change record of a move from `from` to `to` (the server lists only changed fields). */
function moved(from: Task, to: Partial<Task>): { snapshot: Task; changes: TaskChanges } {
  const snapshot = { ...from, ...to, version: from.version + 1 };
  return { snapshot, changes: diff(from, snapshot, Object.keys(to) as (keyof Task)[]) };
}

// ---- fromBoard ---------------------------------------------------------------------------

describe("fromBoard", () => {
  it("indexes tasks, columns, users and sorts statuses by position then id", () => {
    const state = fromBoard(
      board(
        [
          column(5, [task({ id: 50, status_id: 5 })], { position: 2 }),
          column(4, [], { position: 0, cursor: null }),
          column(9, [task({ id: 90, status_id: 9, rank: "a" }), task({ id: 91, status_id: 9, rank: "b" })], {
            position: 1,
            cursor: "c9",
            count: 40,
          }),
          column(3, [], { position: 1 }),
        ],
        42,
      ),
      { priority: "high" },
    );
    expect(state.projectId).toBe(1);
    expect(state.key).toBe("LW");
    expect(state.seq).toBe(42);
    expect(order(state)).toEqual([4, 3, 9, 5]);
    expect(counts(state)).toEqual({ 4: 0, 3: 0, 9: 40, 5: 1 });
    expect(Object.keys(state.tasks).map(Number).sort()).toEqual([50, 90, 91]);
    expect(state.columns).toEqual({
      3: { ids: [], cursor: null, edge: null },
      4: { ids: [], cursor: null, edge: null },
      5: { ids: [50], cursor: null, edge: null },
      9: { ids: [90, 91], cursor: "c9", edge: { rank: "b", id: 91 } },
    });
    expect(state.users).toEqual({ 1: "Ada", 7: "Grace" });
    expect(state.filter).toEqual({ priority: "high" });
    expect(state.stale).toEqual([]);
    // statuses carry no tasks or cursors
    expect(state.statuses[0]).not.toHaveProperty("tasks");
    expect(state.statuses[0]).not.toHaveProperty("next_cursor");
  });

  it("defaults to no filter and keeps labels", () => {
    const label: Label = { id: 3, project_id: 1, name: "bug", color: "#f00" };
    const state = fromBoard(board([column(1, [])], 0, [label]));
    expect(state.filter).toEqual({});
    expect(state.labels).toEqual([label]);
  });
});

describe("compareRank and isLive", () => {
  it("orders by rank bytes, then id", () => {
    expect(compareRank(task({ id: 1, rank: "a" }), task({ id: 2, rank: "b" }))).toBeLessThan(0);
    expect(compareRank(task({ id: 1, rank: "b" }), task({ id: 2, rank: "a" }))).toBeGreaterThan(0);
    // byte order: upper case sorts before lower case, "a" before "a0"
    expect(compareRank(task({ id: 1, rank: "Z" }), task({ id: 2, rank: "a" }))).toBeLessThan(0);
    expect(compareRank(task({ id: 1, rank: "a" }), task({ id: 2, rank: "a0" }))).toBeLessThan(0);
    expect(compareRank(task({ id: 5, rank: "a" }), task({ id: 2, rank: "a" }))).toBe(3);
    expect(compareRank(task({ id: 2, rank: "a" }), task({ id: 2, rank: "a" }))).toBe(0);
  });

  it("a task is live until archived", () => {
    expect(isLive(task({ id: 1 }))).toBe(true);
    expect(isLive(task({ id: 1, archived_at: T0 }))).toBe(false);
  });
});

// ---- withPage ----------------------------------------------------------------------------

describe("withPage", () => {
  it("appends the next page and takes its cursor", () => {
    const state = sample();
    const next = withPage(
      state,
      2,
      [task({ id: 23, status_id: 2, rank: "e" }), task({ id: 24, status_id: 2, rank: "g" })],
      null,
      false,
    );
    expect(ids(next, 2)).toEqual([21, 22, 23, 24]);
    expect(next.columns[2].cursor).toBeNull();
    expect(next.tasks[24].rank).toBe("g");
    // the old state is untouched and other columns are shared
    expect(ids(state, 2)).toEqual([21, 22]);
    expect(state.tasks[23]).toBeUndefined();
    expect(next.columns[1]).toBe(state.columns[1]);
  });

  it("ignores ids it already has and keeps (rank, id) order", () => {
    const next = withPage(
      sample(),
      2,
      [task({ id: 22, status_id: 2, rank: "d" }), task({ id: 20, status_id: 2, rank: "c" })],
      "after-20",
      false,
    );
    expect(ids(next, 2)).toEqual([21, 20, 22]);
    expect(next.columns[2].cursor).toBe("after-20");
  });

  it("replaces the column with a first page", () => {
    const next = withPage(
      sample(),
      2,
      [task({ id: 25, status_id: 2, rank: "a" }), task({ id: 21, status_id: 2, rank: "b" })],
      "after-21",
      true,
    );
    expect(ids(next, 2)).toEqual([25, 21]);
    expect(next.columns[2].cursor).toBe("after-21");
  });

  it("keeps a newer version it knows over an older one a page brings", () => {
    const state = applyEvent(sample(), taskEvent(11, "task.moved", ...movedArgs(task({ id: 21, status_id: 2, rank: "b" }), { status_id: 3 })));
    expect(state.tasks[21].status_id).toBe(3);
    // a page fetched before the move still lists 21 in column 2, at version 1
    const next = withPage(state, 2, [task({ id: 21, status_id: 2, rank: "b" })], null, true);
    expect(next.tasks[21].version).toBe(2);
    expect(next.tasks[21].status_id).toBe(3);
    expect(ids(next, 2)).toEqual([]);
    expect(ids(next, 3)).toEqual([21]);
  });

  it("takes a newer version from the page", () => {
    const next = withPage(sample(), 1, [task({ id: 11, rank: "b", title: "New", version: 4 })], null, false);
    expect(next.tasks[11].title).toBe("New");
    expect(next.tasks[11].version).toBe(4);
  });

  it("leaves out archived tasks and tasks of another status", () => {
    const next = withPage(
      sample(),
      3,
      [task({ id: 31, status_id: 3, archived_at: T0 }), task({ id: 32, status_id: 3 }), task({ id: 33, status_id: 1 })],
      null,
      true,
    );
    expect(ids(next, 3)).toEqual([32]);
  });

  it("clears the column from the stale list only", () => {
    const state: BoardState = { ...sample(), stale: [1, 2] };
    const next = withPage(state, 2, [], null, true);
    expect(next.stale).toEqual([1]);
  });
});

function movedArgs(from: Task, to: Partial<Task>): [Task, TaskChanges] {
  const { snapshot, changes } = moved(from, to);
  return [snapshot, changes];
}

// ---- applyEvent: bookkeeping -------------------------------------------------------------

describe("applyEvent", () => {
  it("ignores events at or below the board's seq", () => {
    const state = sample(10);
    const created = task({ id: 99, rank: "a" });
    expect(applyEvent(state, taskEvent(10, "task.created", created))).toBe(state);
    expect(applyEvent(state, taskEvent(3, "task.created", created))).toBe(state);
    expect(applyEvent(state, statusEvent(10, "status.deleted", statusSnapshot(1), {}, 1))).toBe(state);
    const next = applyEvent(state, taskEvent(11, "task.created", created));
    expect(next.seq).toBe(11);
    expect(ids(next, 1)).toEqual([99, 11, 12, 13]);
  });

  it("advances seq past events it has nothing to do with", () => {
    const state = sample(10);
    const next = applyEvent(state, commentEvent(11, "comment.created", {
      id: 5,
      task_id: 11,
      author_id: 1,
      body: "hi",
      created_at: T0,
      updated_at: T0,
    }));
    expect(next.seq).toBe(11);
    expect(next.tasks).toBe(state.tasks);
    expect(next.columns).toBe(state.columns);
    expect(next.statuses).toBe(state.statuses);
  });

  it("adds a created label", () => {
    const label: Label = { id: 8, project_id: 1, name: "ux", color: "#0af" };
    const state = sample();
    const next = applyEvent(state, labelEvent(11, "label.created", label));
    expect(next.labels).toEqual([label]);
    expect(state.labels).toEqual([]);
    expect(applyEvent(next, labelEvent(11, "label.created", label)).labels).toHaveLength(1);
  });
});

// ---- applyEvent: tasks -------------------------------------------------------------------

describe("task.created", () => {
  it("goes into a complete column in (rank, id) order and counts", () => {
    const state = sample();
    expect(ids(applyEvent(state, taskEvent(11, "task.created", task({ id: 40, rank: "c" }))), 1)).toEqual([
      11, 40, 12, 13,
    ]);
    expect(ids(applyEvent(state, taskEvent(11, "task.created", task({ id: 40, rank: "a" }))), 1)).toEqual([
      40, 11, 12, 13,
    ]);
    expect(ids(applyEvent(state, taskEvent(11, "task.created", task({ id: 40, rank: "z" }))), 1)).toEqual([
      11, 12, 13, 40,
    ]);
    // equal ranks fall back to id
    expect(ids(applyEvent(state, taskEvent(11, "task.created", task({ id: 40, rank: "d" }))), 1)).toEqual([
      11, 12, 40, 13,
    ]);
    expect(ids(applyEvent(state, taskEvent(11, "task.created", task({ id: 5, rank: "d" }))), 1)).toEqual([
      11, 5, 12, 13,
    ]);
    const next = applyEvent(state, taskEvent(11, "task.created", task({ id: 40, rank: "c" })));
    expect(counts(next)).toEqual({ 1: 4, 2: 5, 3: 0 });
    expect(next.tasks[40].title).toBe("Task 40");
    expect(counts(state)).toEqual({ 1: 3, 2: 5, 3: 0 });
  });

  it("goes into a paged column only within the loaded prefix", () => {
    const state = sample();
    const inside = applyEvent(state, taskEvent(11, "task.created", task({ id: 40, status_id: 2, rank: "c" })));
    expect(ids(inside, 2)).toEqual([21, 40, 22]);
    expect(counts(inside)[2]).toBe(6);

    const past = applyEvent(state, taskEvent(11, "task.created", task({ id: 40, status_id: 2, rank: "e" })));
    expect(ids(past, 2)).toEqual([21, 22]);
    expect(counts(past)[2]).toBe(6); // counted, though a later page brings it
    expect(past.tasks[40]).toBeDefined();
    expect(past.columns[2].cursor).toBe("after-22");

    // same rank as the last loaded card: the id decides
    const tieAfter = applyEvent(state, taskEvent(11, "task.created", task({ id: 30, status_id: 2, rank: "d" })));
    expect(ids(tieAfter, 2)).toEqual([21, 22]);
    const tieBefore = applyEvent(state, taskEvent(11, "task.created", task({ id: 20, status_id: 2, rank: "d" })));
    expect(ids(tieBefore, 2)).toEqual([21, 20, 22]);
  });

  it("goes into an empty complete column", () => {
    const next = applyEvent(sample(), taskEvent(11, "task.created", task({ id: 40, status_id: 3 })));
    expect(ids(next, 3)).toEqual([40]);
    expect(counts(next)).toEqual({ 1: 3, 2: 5, 3: 1 });
  });

  it("is counted but not shown when the filter leaves it out", () => {
    const state = fromBoard(board([column(1, [task({ id: 11, assignee_id: 7 })])]), { assignee: 7 });
    const other = applyEvent(state, taskEvent(11, "task.created", task({ id: 40, rank: "a", assignee_id: null })));
    expect(ids(other, 1)).toEqual([11]);
    expect(counts(other)[1]).toBe(2);
    const mine = applyEvent(state, taskEvent(11, "task.created", task({ id: 40, rank: "a", assignee_id: 7 })));
    expect(ids(mine, 1)).toEqual([40, 11]);
    expect(counts(mine)[1]).toBe(2);
  });
});

describe("task.updated", () => {
  it("replaces the task in place without changing counts", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[12], { title: "Renamed", priority: "high" });
    const next = applyEvent(state, taskEvent(11, "task.updated", snapshot, changes));
    expect(next.tasks[12].title).toBe("Renamed");
    expect(next.tasks[12].version).toBe(2);
    expect(ids(next, 1)).toEqual([11, 12, 13]);
    expect(next.statuses).toEqual(state.statuses);
    expect(state.tasks[12].title).toBe("Task 12");
  });

  it("takes a task out of the column once it no longer matches the filter, and back in", () => {
    const state = fromBoard(
      board([column(1, [task({ id: 11, rank: "b", priority: "high" }), task({ id: 12, rank: "d", priority: "high" })])]),
      { priority: "high" },
    );
    const lowered = moved(state.tasks[11], { priority: "low" });
    const out = applyEvent(state, taskEvent(11, "task.updated", lowered.snapshot, lowered.changes));
    expect(ids(out, 1)).toEqual([12]);
    expect(counts(out)[1]).toBe(2);
    const raised = moved(out.tasks[11], { priority: "high" });
    const back = applyEvent(out, taskEvent(12, "task.updated", raised.snapshot, raised.changes));
    expect(ids(back, 1)).toEqual([11, 12]);
  });

  it("counts a status change made by an update", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[11], { status_id: 3, rank: "m" });
    const next = applyEvent(state, taskEvent(11, "task.updated", snapshot, changes));
    expect(counts(next)).toEqual({ 1: 2, 2: 5, 3: 1 });
    expect(ids(next, 1)).toEqual([12, 13]);
    expect(ids(next, 3)).toEqual([11]);
  });
});

describe("task.moved", () => {
  it("moves a card to another column's loaded prefix", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[12], { status_id: 2, rank: "c" });
    const next = applyEvent(state, taskEvent(11, "task.moved", snapshot, changes));
    expect(ids(next, 1)).toEqual([11, 13]);
    expect(ids(next, 2)).toEqual([21, 12, 22]);
    expect(counts(next)).toEqual({ 1: 2, 2: 6, 3: 0 });
    expect(next.tasks[12].status_id).toBe(2);
  });

  it("moves a card past the loaded prefix of a paged column: counted, not shown", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[12], { status_id: 2, rank: "x" });
    const next = applyEvent(state, taskEvent(11, "task.moved", snapshot, changes));
    expect(ids(next, 1)).toEqual([11, 13]);
    expect(ids(next, 2)).toEqual([21, 22]);
    expect(counts(next)).toEqual({ 1: 2, 2: 6, 3: 0 });
  });

  it("moves a card into an empty column", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[13], { status_id: 3, rank: "a0" });
    const next = applyEvent(state, taskEvent(11, "task.moved", snapshot, changes));
    expect(ids(next, 1)).toEqual([11, 12]);
    expect(ids(next, 3)).toEqual([13]);
    expect(counts(next)).toEqual({ 1: 2, 2: 5, 3: 1 });
  });

  it("reorders within a column without changing counts", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[11], { rank: "e" });
    expect(changes).toEqual({ rank: ["b", "e"] });
    const next = applyEvent(state, taskEvent(11, "task.moved", snapshot, changes));
    expect(ids(next, 1)).toEqual([12, 11, 13]);
    expect(counts(next)).toEqual({ 1: 3, 2: 5, 3: 0 });
  });

  it("drops a card moved down past the loaded prefix of its own paged column", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[21], { rank: "x" });
    const next = applyEvent(state, taskEvent(11, "task.moved", snapshot, changes));
    expect(ids(next, 2)).toEqual([22]);
    expect(counts(next)[2]).toBe(5);
  });

  it("counts a move of a task that was never loaded", () => {
    const state = sample();
    const unseen = task({ id: 29, status_id: 2, rank: "y" });
    const { snapshot, changes } = moved(unseen, { status_id: 1, rank: "c" });
    const next = applyEvent(state, taskEvent(11, "task.moved", snapshot, changes));
    expect(counts(next)).toEqual({ 1: 4, 2: 4, 3: 0 });
    expect(ids(next, 1)).toEqual([11, 29, 12, 13]);
    expect(ids(next, 2)).toEqual([21, 22]);
  });

  it("does not count a move of an archived task", () => {
    const state = sample();
    const archived = task({ id: 29, status_id: 2, archived_at: T0 });
    const { snapshot, changes } = moved(archived, { status_id: 1 });
    const next = applyEvent(state, taskEvent(11, "task.moved", snapshot, changes));
    expect(counts(next)).toEqual({ 1: 3, 2: 5, 3: 0 });
    expect(ids(next, 1)).toEqual([11, 12, 13]);
  });
});

describe("task.archived / task.restored", () => {
  it("archiving takes the card off the board and out of the count", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[12], { archived_at: T0 });
    const next = applyEvent(state, taskEvent(11, "task.archived", snapshot, changes));
    expect(ids(next, 1)).toEqual([11, 13]);
    expect(counts(next)).toEqual({ 1: 2, 2: 5, 3: 0 });
    expect(next.tasks[12].archived_at).toBe(T0); // still known, for the drawer
  });

  it("archiving an unloaded task lowers the count only", () => {
    const state = sample();
    const { snapshot, changes } = moved(task({ id: 29, status_id: 2, rank: "y" }), { archived_at: T0 });
    const next = applyEvent(state, taskEvent(11, "task.archived", snapshot, changes));
    expect(counts(next)).toEqual({ 1: 3, 2: 4, 3: 0 });
    expect(ids(next, 2)).toEqual([21, 22]);
  });

  it("restoring puts it back at its rank and counts it again", () => {
    const state = sample();
    const archive = moved(state.tasks[12], { archived_at: T0 });
    const archived = applyEvent(state, taskEvent(11, "task.archived", archive.snapshot, archive.changes));
    const restore = moved(archived.tasks[12], { archived_at: null, rank: "z" });
    const restored = applyEvent(archived, taskEvent(12, "task.restored", restore.snapshot, restore.changes));
    expect(ids(restored, 1)).toEqual([11, 13, 12]);
    expect(counts(restored)).toEqual({ 1: 3, 2: 5, 3: 0 });
    expect(restored.tasks[12].version).toBe(3);
  });

  it("archiving and moving in one update takes it out of the old column only", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[11], { archived_at: T0, status_id: 3 });
    const next = applyEvent(state, taskEvent(11, "task.archived", snapshot, changes));
    expect(counts(next)).toEqual({ 1: 2, 2: 5, 3: 0 });
    expect(ids(next, 3)).toEqual([]);
  });

  it("restoring into another status counts it there", () => {
    const state = sample();
    const archived = task({ id: 50, status_id: 1, archived_at: T0, rank: "q" });
    const { snapshot, changes } = moved(archived, { archived_at: null, status_id: 3, rank: "b" });
    const next = applyEvent(state, taskEvent(11, "task.restored", snapshot, changes));
    expect(counts(next)).toEqual({ 1: 3, 2: 5, 3: 1 });
    expect(ids(next, 3)).toEqual([50]);
  });
});

describe("task.deleted", () => {
  it("forgets a live task and lowers its count", () => {
    const state = sample();
    const next = applyEvent(state, taskEvent(11, "task.deleted", state.tasks[12]));
    expect(next.tasks[12]).toBeUndefined();
    expect(ids(next, 1)).toEqual([11, 13]);
    expect(counts(next)).toEqual({ 1: 2, 2: 5, 3: 0 });
    expect(state.tasks[12]).toBeDefined();
  });

  it("does not count an archived task twice", () => {
    const state = sample();
    const archive = moved(state.tasks[12], { archived_at: T0 });
    const archived = applyEvent(state, taskEvent(11, "task.archived", archive.snapshot, archive.changes));
    const next = applyEvent(archived, taskEvent(12, "task.deleted", archived.tasks[12]));
    expect(counts(next)).toEqual({ 1: 2, 2: 5, 3: 0 });
    expect(next.tasks[12]).toBeUndefined();
  });

  it("lowers the count of an unloaded task's column", () => {
    const next = applyEvent(sample(), taskEvent(11, "task.deleted", task({ id: 29, status_id: 2, rank: "y" })));
    expect(counts(next)).toEqual({ 1: 3, 2: 4, 3: 0 });
  });
});

// ---- applyEvent: statuses ----------------------------------------------------------------

describe("status events", () => {
  it("status.created adds an empty, complete column at the end with count 0", () => {
    const state = sample();
    const next = applyEvent(state, statusEvent(11, "status.created", statusSnapshot(4, { name: "Blocked", position: 3 })));
    expect(order(next)).toEqual([1, 2, 3, 4]);
    expect(next.statuses[3]).toMatchObject({ id: 4, name: "Blocked", count: 0 });
    expect(next.columns[4]).toEqual({ ids: [], cursor: null, edge: null });
    // a task created there shows up
    const withTask = applyEvent(next, taskEvent(12, "task.created", task({ id: 40, status_id: 4 })));
    expect(ids(withTask, 4)).toEqual([40]);
    expect(counts(withTask)[4]).toBe(1);
  });

  it("status.created at a position pushes the later columns along", () => {
    const state = sample();
    const first = applyEvent(state, statusEvent(11, "status.created", statusSnapshot(4, { position: 0 })));
    expect(order(first)).toEqual([4, 1, 2, 3]);
    const middle = applyEvent(state, statusEvent(11, "status.created", statusSnapshot(4, { position: 2 })));
    expect(order(middle)).toEqual([1, 2, 4, 3]);
  });

  it("status.created after a deletion goes where the server put it", () => {
    // server: 1@0 2@1 3@2; delete 2 -> 1@0 3@1; create 4 at the end -> 1@0 3@1 4@2
    let state = applyEvent(sample(), statusEvent(11, "status.deleted", statusSnapshot(2), {}, 2));
    state = applyEvent(state, statusEvent(12, "status.created", statusSnapshot(4, { position: 2 })));
    expect(order(state)).toEqual([1, 3, 4]);
    // then another one at position 1 -> 1@0 5@1 3@2 4@3
    state = applyEvent(state, statusEvent(13, "status.created", statusSnapshot(5, { position: 1 })));
    expect(order(state)).toEqual([1, 5, 3, 4]);
  });

  it("status.updated renames and keeps the count", () => {
    const state = sample();
    const next = applyEvent(
      state,
      statusEvent(11, "status.updated", statusSnapshot(2, { name: "Doing now", wip_limit: 4 }), { name: ["Doing", "Doing now"] }),
    );
    expect(next.statuses[1]).toMatchObject({ id: 2, name: "Doing now", wip_limit: 4, count: 5 });
    expect(order(next)).toEqual([1, 2, 3]);
    expect(next.columns).toBe(state.columns);
  });

  it("status.updated moving a column reorders all of them as the server does", () => {
    const state = sample();
    const left = applyEvent(
      state,
      statusEvent(11, "status.updated", statusSnapshot(3, { position: 0 }), { position: [2, 0], order: [null, [3, 1, 2]] }),
    );
    expect(order(left)).toEqual([3, 1, 2]);
    expect(counts(left)).toEqual({ 1: 3, 2: 5, 3: 0 });
    const right = applyEvent(
      state,
      statusEvent(11, "status.updated", statusSnapshot(1, { position: 2 }), { position: [0, 2], order: [null, [2, 3, 1]] }),
    );
    expect(order(right)).toEqual([2, 3, 1]);
    const swap = applyEvent(
      state,
      statusEvent(11, "status.updated", statusSnapshot(2, { position: 0 }), { position: [1, 0], order: [null, [2, 1, 3]] }),
    );
    expect(order(swap)).toEqual([2, 1, 3]);
  });

  it("status.deleted removes the column", () => {
    const state = sample();
    const next = applyEvent(state, statusEvent(11, "status.deleted", statusSnapshot(3), {}, 3));
    expect(order(next)).toEqual([1, 2]);
    expect(next.columns[3]).toBeUndefined();
    expect(state.columns[3]).toBeDefined();
    expect(view(next, []).map((c) => c.status.id)).toEqual([1, 2]);
  });

  it("status.rebalanced re-keys and re-sorts a complete column", () => {
    const state = sample();
    const next = applyEvent(
      state,
      statusEvent(11, "status.rebalanced", null, { ranks: { "11": "a2", "12": "a1", "13": "a0" } }, 1),
    );
    expect(ids(next, 1)).toEqual([13, 12, 11]);
    expect(next.tasks[11].rank).toBe("a2");
    expect(next.stale).toEqual([]);
    expect(ids(state, 1)).toEqual([11, 12, 13]);
    expect(state.tasks[11].rank).toBe("b");
  });

  it("status.rebalanced advances the versions of re-keyed tasks, as the server does", () => {
    const state = sample();
    const next = applyEvent(state, statusEvent(11, "status.rebalanced", null, { ranks: { "11": "a0", "12": "a1", "13": "a2" } }, 1));
    expect([11, 12, 13].map((id) => next.tasks[id].version)).toEqual([2, 2, 2]);
    expect(next.tasks[21].version).toBe(1);
  });

  it("status.rebalanced marks a paged column stale, once", () => {
    const state = sample();
    const ranks = { "21": "a0", "22": "a1", "23": "a2" }; // 23 is not loaded
    const next = applyEvent(state, statusEvent(11, "status.rebalanced", null, { ranks }, 2));
    expect(next.stale).toEqual([2]);
    expect(next.tasks[23]).toBeUndefined();
    expect(ids(next, 2)).toEqual([21, 22]);
    const again = applyEvent(next, statusEvent(12, "status.rebalanced", null, { ranks }, 2));
    expect(again.stale).toEqual([2]);
    // fetching the column again clears it
    expect(withPage(again, 2, [task({ id: 21, status_id: 2, rank: "a0" })], "c", true).stale).toEqual([]);
  });
});

// ---- the invariant: counts and columns follow any sequence of task events ----------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES = [1, 2, 3];

/** A server: tasks and the events that changed them, in seq order. */
function simulate(seed: number, steps: number, initial: Task[] = []) {
  const random = mulberry32(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const letters = [..."abcdefgh"];
  const rank = () => Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(letters)).join("");
  const tasks = new Map<number, Task>(initial.map((t) => [t.id, t]));
  const events: LiveEvent[] = [];
  let nextId = Math.max(100, ...initial.map((t) => t.id)) + 1;
  let seq = 0;
  const emit = (type: TaskEvent["type"], before: Task, after: Task | null) => {
    let changes: TaskChanges = {};
    if (after) {
      changes = diff(before, after, Object.keys(after) as (keyof Task)[]);
      tasks.set(after.id, after);
    } else {
      tasks.delete(before.id);
    }
    events.push(taskEvent(++seq, type, after ?? before, changes));
  };
  for (let step = 0; step < steps; step += 1) {
    const all = [...tasks.values()];
    const live = all.filter(isLive);
    const archived = all.filter((t) => !isLive(t));
    const roll = random();
    const bump = (t: Task, fields: Partial<Task>): Task => ({ ...t, ...fields, version: t.version + 1 });
    if (roll < 0.3 || all.length === 0) {
      const created = task({ id: nextId++, status_id: pick(STATUSES), rank: rank() });
      tasks.set(created.id, created);
      events.push(taskEvent(++seq, "task.created", created));
    } else if (roll < 0.55 && live.length) {
      const t = pick(live);
      emit("task.moved", t, bump(t, { status_id: pick(STATUSES), rank: rank() }));
    } else if (roll < 0.65 && live.length) {
      const t = pick(live);
      // archive, sometimes moving it in the same update
      emit("task.archived", t, bump(t, { archived_at: T0, status_id: random() < 0.3 ? pick(STATUSES) : t.status_id }));
    } else if (roll < 0.75 && archived.length) {
      const t = pick(archived);
      emit("task.restored", t, bump(t, { archived_at: null, status_id: pick(STATUSES), rank: rank() }));
    } else if (roll < 0.85) {
      const t = pick(all);
      emit("task.deleted", t, null);
    } else {
      const t = pick(all);
      emit("task.updated", t, bump(t, { title: `Title ${step}`, priority: pick(["low", "high"] as const) }));
    }
  }
  return { tasks, events };
}

function truth(tasks: Map<number, Task>, statusId: number): number[] {
  return [...tasks.values()]
    .filter((t) => isLive(t) && t.status_id === statusId)
    .sort(compareRank)
    .map((t) => t.id);
}

function emptyBoard(seq = 0): BoardState {
  return fromBoard(board(STATUSES.map((id) => column(id, [])), seq));
}

describe("folding task events", () => {
  for (const seed of [1, 2, 3, 42, 2026]) {
    it(`keeps exact counts and complete columns (seed ${seed})`, () => {
      const { tasks, events } = simulate(seed, 400);
      const state = events.reduce(applyEvent, emptyBoard());
      expect(state.seq).toBe(events.length);
      for (const id of STATUSES) {
        const expected = truth(tasks, id);
        expect(state.statuses.find((s) => s.id === id)?.count).toBe(expected.length);
        expect(ids(state, id)).toEqual(expected);
      }
      expect(Object.keys(state.tasks).map(Number).sort((a, b) => a - b)).toEqual(
        [...tasks.keys()].sort((a, b) => a - b),
      );
      for (const t of tasks.values()) expect(state.tasks[t.id]).toEqual(t);
      // the sample must exercise every kind of event
      const kinds = new Set(events.map((e) => e.type));
      expect([...kinds].sort()).toEqual([
        "task.archived",
        "task.created",
        "task.deleted",
        "task.moved",
        "task.restored",
        "task.updated",
      ]);
      expect(STATUSES.map((id) => truth(tasks, id).length).reduce((a, b) => a + b)).toBeGreaterThan(0);
    });

    it(`changes nothing when the same events come again (seed ${seed})`, () => {
      const { events } = simulate(seed, 400);
      const state = events.reduce(applyEvent, emptyBoard());
      for (const e of events) expect(applyEvent(state, e)).toBe(state);
      expect(events.reduce(applyEvent, state)).toBe(state);
    });
  }

  it("a board loaded mid-stream and then fed every event ends where the stream does", () => {
    const { tasks, events } = simulate(7, 300);
    const midway = 150;
    const { tasks: then } = simulate(7, midway);
    // the board at seq 150, with complete columns
    const loaded = fromBoard(
      board(
        STATUSES.map((id) => column(id, truth(then, id).map((t) => then.get(t)!))),
        midway,
      ),
    );
    const state = events.reduce(applyEvent, loaded);
    for (const id of STATUSES) {
      expect(state.statuses.find((s) => s.id === id)?.count).toBe(truth(tasks, id).length);
      expect(ids(state, id)).toEqual(truth(tasks, id));
    }
  });

  it("a paged column stays a prefix of the true column and its count stays exact", () => {
    const random = mulberry32(99);
    const initial = Array.from({ length: 60 }, (_, i) =>
      task({ id: i + 1, status_id: STATUSES[i % 3], rank: "abcdefgh"[Math.floor(random() * 8)] + "m" }),
    );
    const byId = new Map(initial.map((t) => [t.id, t]));
    const loaded = fromBoard(
      board(
        STATUSES.map((id) => {
          const all = truth(byId, id).map((t) => byId.get(t)!);
          return column(id, all.slice(0, 8), { count: all.length, cursor: "more" });
        }),
        0,
      ),
    );
    const { tasks, events } = simulate(99, 300, initial);
    let state = loaded;
    for (const e of events) {
      state = applyEvent(state, e);
    }
    for (const id of STATUSES) {
      const expected = truth(tasks, id);
      const shown = ids(state, id)!;
      expect(state.statuses.find((s) => s.id === id)?.count).toBe(expected.length);
      expect(shown).toEqual(expected.slice(0, shown.length));
    }
  });
});

// ---- view: pending changes over the board ------------------------------------------------

function move(opId: number, taskId: number, statusId: number, afterId: number | null, beforeId: number | null): PendingMove {
  return { kind: "move", opId, taskId, statusId, afterId, beforeId };
}

function shown(columns: ReturnType<typeof view>): Record<number, number[]> {
  return Object.fromEntries(columns.map((c) => [c.status.id, c.tasks.map((t) => t.id)]));
}

describe("view", () => {
  it("shows the board as it is without pending changes", () => {
    const columns = view(sample(), []);
    expect(columns.map((c) => c.status.id)).toEqual([1, 2, 3]);
    expect(shown(columns)).toEqual({ 1: [11, 12, 13], 2: [21, 22], 3: [] });
    expect(columns.map((c) => c.status.count)).toEqual([3, 5, 0]);
    expect(columns.map((c) => c.more)).toEqual([false, true, false]);
    expect(columns.map((c) => c.overLimit)).toEqual([false, false, false]);
    expect(columns[0].tasks[0]).toEqual(sample().tasks[11]);
    expect(columns[0].tasks[0].title).toBe("Task 11");
  });

  it("lays a pending move to another column over the board, with counts", () => {
    const state = sample();
    const columns = view(state, [move(1, 21, 1, 11, null)]);
    expect(shown(columns)).toEqual({ 1: [11, 21, 12, 13], 2: [22], 3: [] });
    expect(columns.map((c) => c.status.count)).toEqual([4, 4, 0]);
    expect(columns[0].tasks[1].status_id).toBe(1);
    // over Todo's limit of 3 now
    expect(columns[0].overLimit).toBe(true);
    expect(columns[0].status.wip_limit).toBe(3);
    // the board itself is untouched
    expect(ids(state, 1)).toEqual([11, 12, 13]);
    expect(ids(state, 2)).toEqual([21, 22]);
    expect(state.tasks[21].status_id).toBe(2);
    expect(counts(state)).toEqual({ 1: 3, 2: 5, 3: 0 });
  });

  it("at the limit is not over it", () => {
    const state = fromBoard(board([column(1, [task({ id: 1 })], { wip_limit: 1 }), column(2, [task({ id: 2, status_id: 2 })], { wip_limit: 0 })]));
    expect(view(state, []).map((c) => c.overLimit)).toEqual([false, true]);
    expect(view(state, [move(1, 2, 1, 1, null)]).map((c) => c.overLimit)).toEqual([true, false]);
  });

  it("places a move at the top, at the end and into an empty column", () => {
    const state = sample();
    expect(shown(view(state, [move(1, 21, 1, null, 11)]))[1]).toEqual([21, 11, 12, 13]);
    expect(shown(view(state, [move(1, 21, 1, 13, null)]))[1]).toEqual([11, 12, 13, 21]);
    expect(shown(view(state, [move(1, 21, 3, null, null)]))).toEqual({ 1: [11, 12, 13], 2: [22], 3: [21] });
    // a before-neighbour in the middle
    expect(shown(view(state, [move(1, 21, 1, null, 13)]))[1]).toEqual([11, 12, 21, 13]);
    // a neighbour that is not loaded: at the top when only before was given
    expect(shown(view(state, [move(1, 21, 1, null, 999)]))[1]).toEqual([21, 11, 12, 13]);
    expect(shown(view(state, [move(1, 21, 1, 999, null)]))[1]).toEqual([11, 12, 13, 21]);
  });

  it("reorders within a column without changing counts", () => {
    const columns = view(sample(), [move(1, 11, 1, 13, null)]);
    expect(shown(columns)[1]).toEqual([12, 13, 11]);
    expect(columns.map((c) => c.status.count)).toEqual([3, 5, 0]);
  });

  it("applies pending moves in order", () => {
    const columns = view(sample(), [move(1, 11, 3, null, null), move(2, 12, 3, 11, null), move(3, 11, 2, null, 21)]);
    expect(shown(columns)).toEqual({ 1: [13], 2: [11, 21, 22], 3: [12] });
    expect(columns.map((c) => c.status.count)).toEqual([1, 6, 1]);
  });

  it("does not count a move twice once the board already has it", () => {
    const state = sample();
    const { snapshot, changes } = moved(state.tasks[12], { status_id: 3, rank: "m" });
    const after = applyEvent(state, taskEvent(11, "task.moved", snapshot, changes));
    const columns = view(after, [move(1, 12, 3, null, null)]);
    expect(columns.map((c) => c.status.count)).toEqual([2, 5, 1]);
    expect(shown(columns)[3]).toEqual([12]);
  });

  it("ignores pending changes to unknown tasks or statuses", () => {
    const state = sample();
    const expected = view(state, []);
    expect(view(state, [move(1, 999, 1, null, null)])).toEqual(expected);
    expect(view(state, [move(1, 11, 999, null, null)])).toEqual(expected);
    expect(view(state, [{ kind: "edit", opId: 2, taskId: 999, fields: { title: "x" } }])).toEqual(expected);
  });

  it("lays pending edits over the tasks", () => {
    const state = sample();
    const edit: PendingEdit = { kind: "edit", opId: 1, taskId: 12, fields: { title: "Mine", priority: "urgent", labels: [4] } };
    const columns = view(state, [edit]);
    expect(columns[0].tasks[1]).toMatchObject({ id: 12, title: "Mine", priority: "urgent", labels: [4], rank: "d" });
    expect(shown(columns)[1]).toEqual([11, 12, 13]);
    expect(state.tasks[12].title).toBe("Task 12");
    // an edit and a move of the same task both show
    const both = view(state, [edit, move(2, 12, 3, null, null)]);
    expect(both[2].tasks[0]).toMatchObject({ id: 12, title: "Mine", status_id: 3 });
  });
});

// ---- pending ops: settle, reduce, knownVersion -------------------------------------------

function model(pending: Pending[] = []): Model {
  return { board: sample(), pending };
}

function run(start: Model, actions: Action[]): Model {
  return actions.reduce(reduce, start);
}

/** The event a server sends for moving `taskId` to column 3. */
function moveEvent(state: BoardState, seq: number, taskId: number): LiveEvent {
  const { snapshot, changes } = moved(state.tasks[taskId], { status_id: 3, rank: "t" });
  return taskEvent(seq, "task.moved", snapshot, changes);
}

describe("settle", () => {
  it("keeps unconfirmed ops and ops ahead of the board; drops the rest", () => {
    const state = sample(); // every task at version 1
    const pending: Pending[] = [
      move(1, 11, 3, null, null),
      { ...move(2, 12, 3, null, null), confirmed: 2 },
      { ...move(3, 13, 3, null, null), confirmed: 1 },
      { kind: "edit", opId: 4, taskId: 21, fields: { title: "x" }, confirmed: 1 },
      { ...move(5, 999, 3, null, null), confirmed: 3 }, // the task is gone
    ];
    expect(settle(state, pending).map((op) => op.opId)).toEqual([1, 2]);
  });
});

describe("reduce", () => {
  it("op confirmed before its event: pending until the event, then settled", () => {
    let m = run(model(), [{ type: "op", op: move(1, 12, 3, null, null) }]);
    expect(shown(view(m.board!, m.pending))[3]).toEqual([12]);
    m = reduce(m, { type: "confirmed", opId: 1, version: 2 });
    expect(m.pending).toEqual([{ ...move(1, 12, 3, null, null), confirmed: 2 }]);
    expect(shown(view(m.board!, m.pending))[3]).toEqual([12]);
    m = reduce(m, { type: "event", event: moveEvent(m.board!, 11, 12) });
    expect(m.pending).toEqual([]);
    expect(m.board!.seq).toBe(11);
    expect(shown(view(m.board!, m.pending))).toEqual({ 1: [11, 13], 2: [21, 22], 3: [12] });
    expect(counts(m.board!)).toEqual({ 1: 2, 2: 5, 3: 1 });
  });

  it("op confirmed after its event: pending until the answer, then settled", () => {
    let m = run(model(), [{ type: "op", op: move(1, 12, 3, null, null) }]);
    m = reduce(m, { type: "event", event: moveEvent(m.board!, 11, 12) });
    expect(m.pending.map((op) => op.opId)).toEqual([1]);
    // still shown once, counted once
    const columns = view(m.board!, m.pending);
    expect(shown(columns)[3]).toEqual([12]);
    expect(columns.map((c) => c.status.count)).toEqual([2, 5, 1]);
    m = reduce(m, { type: "confirmed", opId: 1, version: 2 });
    expect(m.pending).toEqual([]);
    expect(shown(view(m.board!, m.pending))).toEqual({ 1: [11, 13], 2: [21, 22], 3: [12] });
  });

  it("a dropped op rolls the view back to the server's board", () => {
    const start = model();
    let m = run(start, [
      { type: "op", op: move(1, 12, 3, null, null) },
      { type: "op", op: { kind: "edit", opId: 2, taskId: 11, fields: { title: "Mine" } } },
    ]);
    expect(shown(view(m.board!, m.pending))).toEqual({ 1: [11, 13], 2: [21, 22], 3: [12] });
    m = reduce(m, { type: "dropped", opId: 1 });
    expect(m.pending.map((op) => op.opId)).toEqual([2]);
    expect(shown(view(m.board!, m.pending))).toEqual({ 1: [11, 12, 13], 2: [21, 22], 3: [] });
    m = reduce(m, { type: "dropped", opId: 2 });
    expect(m.pending).toEqual([]);
    expect(view(m.board!, m.pending)).toEqual(view(start.board!, []));
  });

  it("a move that made the server rebalance its column settles once both events are in", () => {
    // the server moves 12 (version 2), re-keys column 1 (version 3) and answers with version 3
    let m = run(model(), [
      { type: "op", op: move(1, 12, 1, 13, null) },
      { type: "confirmed", opId: 1, version: 3 },
    ]);
    const { snapshot, changes } = moved(m.board!.tasks[12], { rank: "f0" });
    m = reduce(m, { type: "event", event: taskEvent(11, "task.moved", snapshot, changes) });
    expect(m.pending.map((op) => op.opId)).toEqual([1]);
    const ranks = { "11": "a0", "13": "a1", "12": "a2" };
    m = reduce(m, { type: "event", event: statusEvent(12, "status.rebalanced", null, { ranks }, 1) });
    expect(m.pending).toEqual([]);
    expect(ids(m.board!, 1)).toEqual([11, 13, 12]);
    expect(knownVersion(m, 12)).toBe(3);
    expect(knownVersion(m, 13)).toBe(2);
  });

  it("a confirmation for another op changes nothing but that op", () => {
    let m = run(model(), [
      { type: "op", op: move(1, 12, 3, null, null) },
      { type: "op", op: move(2, 13, 3, null, null) },
    ]);
    m = reduce(m, { type: "confirmed", opId: 2, version: 1 }); // the board already has version 1
    expect(m.pending.map((op) => op.opId)).toEqual([1]);
    expect(m.pending[0].confirmed).toBeUndefined();
  });

  it("returns the same model for an event the board already has", () => {
    const m = model([move(1, 12, 3, null, null)]);
    expect(reduce(m, { type: "event", event: taskEvent(10, "task.created", task({ id: 40 })) })).toBe(m);
  });

  it("ignores events and pages before the board is loaded; loading settles ops", () => {
    const empty: Model = { board: null, pending: [] };
    expect(reduce(empty, { type: "event", event: taskEvent(1, "task.created", task({ id: 1 })) })).toBe(empty);
    expect(reduce(empty, { type: "page", statusId: 1, items: [], cursor: null, replace: true })).toBe(empty);
    const pending: Pending[] = [{ ...move(1, 12, 3, null, null), confirmed: 1 }, move(2, 13, 3, null, null)];
    const loaded = reduce({ board: null, pending }, { type: "loaded", board: sample() });
    expect(loaded.board?.seq).toBe(10);
    expect(loaded.pending.map((op) => op.opId)).toEqual([2]);
  });

  it("folds a page into the board", () => {
    const m = reduce(model(), { type: "page", statusId: 2, items: [task({ id: 23, status_id: 2, rank: "e" })], cursor: null, replace: false });
    expect(ids(m.board!, 2)).toEqual([21, 22, 23]);
    expect(m.board!.columns[2].cursor).toBeNull();
  });

  it("an edit settles once the board has the answered version", () => {
    let m = run(model(), [
      { type: "op", op: { kind: "edit", opId: 1, taskId: 11, fields: { title: "Mine" } } },
      { type: "confirmed", opId: 1, version: 2 },
    ]);
    expect(view(m.board!, m.pending)[0].tasks[0].title).toBe("Mine");
    const { snapshot, changes } = moved(m.board!.tasks[11], { title: "Mine" });
    m = reduce(m, { type: "event", event: taskEvent(11, "task.updated", snapshot, changes) });
    expect(m.pending).toEqual([]);
    expect(view(m.board!, m.pending)[0].tasks[0].title).toBe("Mine");
  });
});

describe("knownVersion", () => {
  it("is the board's version, or a newer answered one", () => {
    expect(knownVersion({ board: null, pending: [] }, 11)).toBe(0);
    expect(knownVersion(model(), 11)).toBe(1);
    expect(knownVersion(model(), 999)).toBe(0);
    const pending: Pending[] = [
      { ...move(1, 11, 3, null, null), confirmed: 4 },
      { ...move(2, 11, 2, null, null), confirmed: 3 },
      move(3, 11, 1, null, null),
      { ...move(4, 12, 3, null, null), confirmed: 9 },
    ];
    expect(knownVersion(model(pending), 11)).toBe(4);
    expect(knownVersion(model(pending), 13)).toBe(1);
    const older: Pending[] = [{ kind: "edit", opId: 1, taskId: 11, fields: {}, confirmed: 0 }];
    expect(knownVersion(model(older), 11)).toBe(1);
  });
});

// ---- neighbours --------------------------------------------------------------------------

describe("neighbours", () => {
  const column = [1, 2, 3, 4];

  it("moving down within the column counts the dragged card's own slot", () => {
    // slots: 0 |1| 1 |2| 2 |3| 3 |4| 4
    expect(neighbours(column, 1, 3)).toEqual({ after_id: 3, before_id: null });
    expect(neighbours(column, 1, 2)).toEqual({ after_id: 2, before_id: null });
    expect(neighbours(column, 1, 4)).toEqual({ after_id: 4, before_id: null });
    expect(neighbours(column, 2, 4)).toEqual({ after_id: 4, before_id: null });
  });

  it("moving up within the column", () => {
    expect(neighbours(column, 3, 1)).toEqual({ after_id: 1, before_id: null });
    expect(neighbours(column, 4, 2)).toEqual({ after_id: 2, before_id: null });
  });

  it("to the top", () => {
    expect(neighbours(column, 4, 0)).toEqual({ after_id: null, before_id: 1 });
    expect(neighbours(column, 1, 0)).toEqual({ after_id: null, before_id: 2 });
  });

  it("dropped where it was", () => {
    expect(neighbours(column, 3, 2)).toEqual({ after_id: 2, before_id: null });
    expect(neighbours(column, 3, 3)).toEqual({ after_id: 2, before_id: null });
  });

  it("to another column", () => {
    expect(neighbours([5, 6], 1, 0)).toEqual({ after_id: null, before_id: 5 });
    expect(neighbours([5, 6], 1, 1)).toEqual({ after_id: 5, before_id: null });
    expect(neighbours([5, 6], 1, 2)).toEqual({ after_id: 6, before_id: null });
  });

  it("clamps indexes out of range", () => {
    expect(neighbours([5, 6], 1, 9)).toEqual({ after_id: 6, before_id: null });
    expect(neighbours([5, 6], 1, -3)).toEqual({ after_id: null, before_id: 5 });
    expect(neighbours(column, 1, 9)).toEqual({ after_id: 4, before_id: null });
  });

  it("to an empty column, or a column holding only the dragged card", () => {
    expect(neighbours([], 1, 0)).toEqual({ after_id: null, before_id: null });
    expect(neighbours([], 1, 3)).toEqual({ after_id: null, before_id: null });
    expect(neighbours([1], 1, 1)).toEqual({ after_id: null, before_id: null });
  });

  it("the view shows the card in the slot it was dropped in, for every slot", () => {
    const state = sample();
    const visible = ids(state, 1)!;
    for (const taskId of [...visible, 21]) {
      for (let index = 0; index <= visible.length; index += 1) {
        const place = neighbours(visible, taskId, index);
        const expected = visible.filter((id) => id !== taskId);
        const origin = visible.indexOf(taskId);
        expected.splice(origin >= 0 && index > origin ? index - 1 : index, 0, taskId);
        const columns = view(state, [move(1, taskId, 1, place.after_id, place.before_id)]);
        expect(shown(columns)[1], `task ${taskId} at ${index}`).toEqual(expected);
      }
    }
  });
});

describe("the loaded prefix of a paged column", () => {
  it("keeps its edge where the cursor continues, even when the last loaded task moves away", () => {
    const start = fromBoard(
      board(
        [
          column(1, [task({ id: 1, status_id: 1, rank: "a" }), task({ id: 2, status_id: 1, rank: "c" })], {
            cursor: "next",
            count: 10,
          }),
          column(2, [], {}),
        ],
        1,
      ),
    );
    // the last loaded card (rank "c") leaves the column
    const moved = applyEvent(
      start,
      taskEvent(2, "task.moved", task({ id: 2, status_id: 2, rank: "a", version: 2 }), {
        status_id: [1, 2],
        rank: ["c", "a"],
      }),
    );
    expect(moved.columns[1].ids).toEqual([1]);
    expect(moved.columns[1].edge).toEqual({ rank: "c", id: 2 });
    // a task arriving between the new last card and the edge is shown: the next page starts
    // after the edge, so it would otherwise never appear
    const arrived = applyEvent(
      moved,
      taskEvent(3, "task.moved", task({ id: 7, status_id: 1, rank: "b", version: 3 }), {
        status_id: [2, 1],
      }),
    );
    expect(arrived.columns[1].ids).toEqual([1, 7]);
    // one past the edge waits for its page
    const later = applyEvent(
      arrived,
      taskEvent(4, "task.created", task({ id: 8, status_id: 1, rank: "d" }), {}),
    );
    expect(later.columns[1].ids).toEqual([1, 7]);
    expect(later.statuses.find((s) => s.id === 1)?.count).toBe(11);
  });

  it("moves its edge to the last task of each page fetched", () => {
    const start = fromBoard(
      board([column(1, [task({ id: 1, status_id: 1, rank: "a" })], { cursor: "p1", count: 3 })], 1),
    );
    const paged = withPage(start, 1, [task({ id: 2, status_id: 1, rank: "b" })], "p2", false);
    expect(paged.columns[1]).toEqual({ ids: [1, 2], cursor: "p2", edge: { rank: "b", id: 2 } });
    const done = withPage(paged, 1, [task({ id: 3, status_id: 1, rank: "c" })], null, false);
    expect(done.columns[1]).toEqual({ ids: [1, 2, 3], cursor: null, edge: null });
  });
});

describe("label events", () => {
  it("renames, recolours and removes a label from the board's list", () => {
    const labels: Label[] = [
      { id: 1, project_id: 1, name: "bug", color: "#ff0000" },
      { id: 2, project_id: 1, name: "ux", color: "#00ff00" },
    ];
    const start = fromBoard(board([column(1, [])], 1, labels));
    const snapshot = { id: 1, project_id: 1, name: "defect", color: "#0000ff" };
    const renamed = applyEvent(start, labelEvent(2, "label.updated", snapshot, { name: ["bug", "defect"] }));
    expect(renamed.labels).toEqual([snapshot, labels[1]]);
    const deleted = applyEvent(renamed, labelEvent(3, "label.deleted", null, {}, 1));
    expect(deleted.labels.map((l) => l.id)).toEqual([2]);
    expect(deleted.seq).toBe(3);
  });
});
