// The list view's sort orders, the same as the server's (tasks/search.py): a row that a live
// event brings is put where the server's next page would have put it, never shown twice.

import { PRIORITIES, type Task, type TaskQuery } from "../types";

export const SORT_KEYS = ["number", "title", "status", "assignee", "priority", "due", "updated"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface Sort {
  key: SortKey;
  descending: boolean;
}

export const DEFAULT_SORT: Sort = { key: "number", descending: true };

/** What the order depends on besides the task: the workflow's order and people's names. */
export interface OrderContext {
  statusPosition: Record<number, number>;
  names: Record<number, string>;
}

export function sortFromQuery(search: string): Sort {
  const value = new URLSearchParams(search).get("sort") ?? "";
  const key = value.replace(/^-/, "");
  if (!(SORT_KEYS as readonly string[]).includes(key)) return DEFAULT_SORT;
  return { key: key as SortKey, descending: value.startsWith("-") };
}

/** The `sort` parameter, as the URL and the API spell it (`tsc` checks the API has it). */
export function sortParam(sort: Sort): NonNullable<TaskQuery["sort"]> {
  return sort.descending ? `-${sort.key}` : sort.key;
}

/** Ascending by code point, the order of PostgreSQL's "C" collation and of SQLite's: not
 * JavaScript's `<`, which compares UTF-16 units and puts U+10000 and up before U+E000. */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const difference = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
}

/** A-Z to lowercase and nothing else, as the server folds on both backends. */
export function fold(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The largest code point: the server's stand-in for "no assignee", which sorts after any name. */
const NO_ASSIGNEE = "\u{10FFFF}";
const NO_DUE = "9999-12-31";

/** A timestamp as the API writes it (microseconds left out when zero), made comparable as text. */
export function instant(value: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(.*)$/.exec(value);
  if (!match) return value;
  return `${match[1]}.${(match[2] ?? "").padEnd(6, "0")}${match[3]}`;
}

function number(task: Task): number {
  return Number(task.number.slice(task.number.lastIndexOf("-") + 1));
}

function compareKey(a: Task, b: Task, key: SortKey, context: OrderContext): number {
  switch (key) {
    case "number":
      return number(a) - number(b);
    case "title":
      return compareCodePoints(fold(a.title), fold(b.title));
    case "status":
      return (context.statusPosition[a.status_id] ?? 0) - (context.statusPosition[b.status_id] ?? 0);
    case "assignee": {
      const name = (task: Task) =>
        task.assignee_id === null ? NO_ASSIGNEE : fold(context.names[task.assignee_id] ?? "");
      return compareCodePoints(name(a), name(b));
    }
    case "priority":
      return PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority);
    case "due":
      return compareCodePoints(a.due_date ?? NO_DUE, b.due_date ?? NO_DUE);
    case "updated":
      return compareCodePoints(instant(a.updated_at), instant(b.updated_at));
  }
}

/** The server's order: the key, then the id; both reversed when descending. */
export function compareTasks(a: Task, b: Task, sort: Sort, context: OrderContext): number {
  const order = compareKey(a, b, sort.key, context) || a.id - b.id;
  return sort.descending ? -order : order;
}
