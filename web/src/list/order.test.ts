import { describe, expect, it } from "vitest";

import { makeTask } from "../testing";
import type { Task } from "../types";
import corpus from "./sort-corpus.json";
import {
  compareCodePoints,
  compareTasks,
  DEFAULT_SORT,
  fold,
  instant,
  type OrderContext,
  type Sort,
  sortFromQuery,
  sortParam,
} from "./order";

const context: OrderContext = { statusPosition: { 1: 2, 2: 0, 3: 1 }, names: {} };

function sorted(tasks: Task[], sort: Sort, ctx: OrderContext = context): number[] {
  return [...tasks].sort((a, b) => compareTasks(a, b, sort, ctx)).map((t) => t.id);
}

describe("the server's order", () => {
  it("sorts titles as the server does on both backends (the shared corpus)", () => {
    const tasks = corpus.titles.map((title, i) => makeTask({ id: i + 1, title }));
    const order = sorted(tasks, { key: "title", descending: false });
    expect(order.map((id) => tasks[id - 1].title)).toEqual(corpus.titles_sorted);
    expect(sorted(tasks, { key: "title", descending: true })).toEqual([...order].reverse());
  });

  it("sorts assignees by name with the unassigned last (the shared corpus)", () => {
    const names = Object.fromEntries(corpus.names.map((name, i) => [i + 10, name]));
    const tasks = [
      ...corpus.names.map((_, i) => makeTask({ id: i + 1, assignee_id: i + 10 })),
      makeTask({ id: 50 }),
      makeTask({ id: 51 }),
    ];
    const order = sorted(tasks, { key: "assignee", descending: false }, { ...context, names });
    const shown = order.map((id) => {
      const assignee = tasks.find((t) => t.id === id)!.assignee_id;
      return assignee === null ? null : names[assignee];
    });
    expect(shown).toEqual(corpus.names_sorted_then_unassigned);
  });

  it("compares code points, not UTF-16 units", () => {
    // U+1F600 is two units starting 0xD83D, below U+FFFC's one unit; as code points it is above
    expect("😀" < "\uFFFC").toBe(true);
    expect(compareCodePoints("😀", "\uFFFC")).toBeGreaterThan(0);
    expect(compareCodePoints("ab", "abc")).toBeLessThan(0);
    expect(compareCodePoints("abc", "abc")).toBe(0);
    expect(fold("ÀBC Été")).toBe("Àbc Été");
  });

  it("sorts statuses by their place in the workflow, then by id", () => {
    const tasks = [1, 2, 3, 2].map((status_id, i) => makeTask({ id: i + 1, status_id }));
    expect(sorted(tasks, { key: "status", descending: false })).toEqual([2, 4, 3, 1]);
    expect(sorted(tasks, { key: "status", descending: true })).toEqual([1, 3, 4, 2]);
  });

  it("sorts numbers numerically, priorities by level, undated last", () => {
    const tasks = [
      makeTask({ id: 1, number: "LW-10", priority: "low", due_date: "2027-01-02" }),
      makeTask({ id: 2, number: "LW-9", priority: "urgent", due_date: null }),
      makeTask({ id: 3, number: "LW-100", priority: "none", due_date: "2026-12-31" }),
    ];
    expect(sorted(tasks, { key: "number", descending: false })).toEqual([2, 1, 3]);
    expect(sorted(tasks, { key: "priority", descending: true })).toEqual([2, 1, 3]);
    expect(sorted(tasks, { key: "due", descending: false })).toEqual([3, 1, 2]);
  });

  it("sorts timestamps with and without microseconds by instant", () => {
    expect(instant("2026-12-01T10:00:00Z")).toBe("2026-12-01T10:00:00.000000Z");
    expect(instant("2026-12-01T10:00:00.5Z")).toBe("2026-12-01T10:00:00.500000Z");
    const tasks = [
      makeTask({ id: 1, updated_at: "2026-12-01T10:00:00.000001Z" }),
      makeTask({ id: 2, updated_at: "2026-12-01T10:00:00Z" }),
    ];
    // as plain text "...00Z" sorts after "...00.000001Z"; as instants it is earlier
    expect(sorted(tasks, { key: "updated", descending: false })).toEqual([2, 1]);
  });
});

describe("the sort in the URL", () => {
  it("round-trips and falls back to the default", () => {
    expect(sortFromQuery("?sort=-title")).toEqual({ key: "title", descending: true });
    expect(sortFromQuery("?sort=assignee&q=x")).toEqual({ key: "assignee", descending: false });
    expect(sortFromQuery("?sort=rank")).toEqual(DEFAULT_SORT);
    expect(sortFromQuery("")).toEqual(DEFAULT_SORT);
    expect(sortParam({ key: "due", descending: true })).toBe("-due");
  });
});
