import { createQuerySerializer } from "openapi-fetch";
import { describe, expect, it } from "vitest";
import { makeTask } from "../testing";
import type { Task } from "../types";

import { type Filter, filterFromQuery, filterParams, filterToQuery, isFiltered, matches } from "./filter";

function task(fields: Partial<Task> = {}): Task {
  return makeTask({ id: 1, number: "LW-12", title: "Fix the login page", ...fields });
}

describe("filterFromQuery", () => {
  it("reads every field", () => {
    expect(filterFromQuery("?assignee=7&label=3&label=5&priority=high&q=login+page")).toEqual({
      assignee: 7,
      labels: [3, 5],
      priority: "high",
      q: "login page",
    });
  });

  it("reads an empty or unrelated query as no filter", () => {
    expect(filterFromQuery("")).toEqual({});
    expect(filterFromQuery("?")).toEqual({});
    expect(filterFromQuery("?task=12&tab=activity")).toEqual({});
  });

  it("reads assignee=none as unassigned", () => {
    expect(filterFromQuery("assignee=none")).toEqual({ assignee: "none" });
  });

  it("drops values that are not valid", () => {
    expect(filterFromQuery("?assignee=bob&label=x&label=-1&label=2.5&label=4&priority=critical&q=%20%20")).toEqual({
      labels: [4],
    });
    expect(filterFromQuery("?assignee=")).toEqual({});
    expect(filterFromQuery("?priority=HIGH")).toEqual({});
  });

  it("trims the search text", () => {
    expect(filterFromQuery("?q=%20%20bug%20")).toEqual({ q: "bug" });
  });

  it("accepts every priority", () => {
    for (const priority of ["none", "low", "medium", "high", "urgent"] as const) {
      expect(filterFromQuery(`?priority=${priority}`)).toEqual({ priority });
    }
  });
});

describe("filterToQuery", () => {
  it("writes nothing for no filter", () => {
    expect(filterToQuery({})).toBe("");
    expect(filterToQuery({ labels: [], q: "   " })).toBe("");
  });

  it("writes every field in a fixed order", () => {
    expect(filterToQuery({ q: " login page ", priority: "urgent", labels: [3, 5], assignee: 7 })).toBe(
      "?assignee=7&label=3&label=5&priority=urgent&q=login+page",
    );
    expect(filterToQuery({ assignee: "none" })).toBe("?assignee=none");
    expect(filterToQuery({ assignee: 0 })).toBe("?assignee=0");
  });

  it("escapes the search text", () => {
    expect(filterToQuery({ q: "a&b=c #1" })).toBe("?q=a%26b%3Dc+%231");
  });

  it("round-trips through filterFromQuery", () => {
    const filters: Filter[] = [
      {},
      { assignee: 7 },
      { assignee: "none" },
      { labels: [1] },
      { labels: [9, 2, 2] },
      { priority: "low" },
      { q: "ünïcode & symbols = #?" },
      { assignee: 3, labels: [4, 5], priority: "medium", q: "two words" },
    ];
    for (const filter of filters) {
      expect(filterFromQuery(filterToQuery(filter))).toEqual(filter);
    }
    const query = "?assignee=none&label=2&label=8&priority=high&q=needs+review";
    expect(filterToQuery(filterFromQuery(query))).toBe(query);
  });

  it("trims the search text it writes", () => {
    expect(filterFromQuery(filterToQuery({ q: "  spaced  " }))).toEqual({ q: "spaced" });
  });
});

describe("filterParams", () => {
  // as the API client writes them into the URL
  const query = (filter: Filter) => createQuerySerializer()(filterParams(filter));

  it("sends assignee none as unassigned=true", () => {
    const params = filterParams({ assignee: "none" });
    expect(params.unassigned).toBe(true);
    expect(params.assignee).toBeUndefined();
    expect(query({ assignee: "none" })).toBe("unassigned=true");
  });

  it("sends the API's parameter names", () => {
    expect(query({ assignee: 7, labels: [3, 5], priority: "high", q: "  login " })).toBe(
      "assignee=7&label=3&label=5&priority=high&q=login",
    );
    expect(query({})).toBe("");
    expect(query({ q: "  " })).toBe("");
  });

  it("returns a fresh object each time, for callers to add a cursor to", () => {
    const filter: Filter = { priority: "low", labels: [1] };
    const first = filterParams(filter);
    first.cursor = "abc";
    first.label?.push(2);
    expect(filterParams(filter)).toEqual({ priority: ["low"], label: [1] });
  });
});

describe("isFiltered", () => {
  it("is true when any field narrows the board", () => {
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ labels: [], q: "  " })).toBe(false);
    expect(isFiltered({ assignee: "none" })).toBe(true);
    expect(isFiltered({ assignee: 0 })).toBe(true);
    expect(isFiltered({ labels: [1] })).toBe(true);
    expect(isFiltered({ priority: "none" })).toBe(true);
    expect(isFiltered({ q: "x" })).toBe(true);
  });
});

describe("matches", () => {
  it("matches anything with no filter", () => {
    expect(matches(task(), {})).toBe(true);
    expect(matches(task({ assignee_id: 3, labels: [1], priority: "urgent" }), { labels: [] })).toBe(true);
  });

  it("by assignee", () => {
    expect(matches(task({ assignee_id: 7 }), { assignee: 7 })).toBe(true);
    expect(matches(task({ assignee_id: 8 }), { assignee: 7 })).toBe(false);
    expect(matches(task({ assignee_id: null }), { assignee: 7 })).toBe(false);
    expect(matches(task({ assignee_id: null }), { assignee: "none" })).toBe(true);
    expect(matches(task({ assignee_id: 7 }), { assignee: "none" })).toBe(false);
  });

  it("by labels: the task has every one of them", () => {
    const t = task({ labels: [1, 2, 3] });
    expect(matches(t, { labels: [1] })).toBe(true);
    expect(matches(t, { labels: [3, 1] })).toBe(true);
    expect(matches(t, { labels: [1, 2, 3] })).toBe(true);
    expect(matches(t, { labels: [1, 4] })).toBe(false);
    expect(matches(task({ labels: [] }), { labels: [1] })).toBe(false);
  });

  it("by priority", () => {
    expect(matches(task({ priority: "high" }), { priority: "high" })).toBe(true);
    expect(matches(task({ priority: "urgent" }), { priority: "high" })).toBe(false);
  });

  it("by text: every word is a prefix of a word of the title or description", () => {
    const t = task({ title: "Fix the login page", description: "Users see a blank screen after sign-in." });
    expect(matches(t, { q: "log" })).toBe(true);
    expect(matches(t, { q: "LOGIN Page" })).toBe(true);
    expect(matches(t, { q: "blank sign" })).toBe(true);
    expect(matches(t, { q: "sign-in" })).toBe(true); // split into "sign" and "in"
    expect(matches(t, { q: "screen." })).toBe(true);
    expect(matches(t, { q: "ogin" })).toBe(false); // not a prefix
    expect(matches(t, { q: "login logout" })).toBe(false); // every word must match
    expect(matches(t, { q: "pages" })).toBe(false);
    expect(matches(t, { q: "   " })).toBe(true);
  });

  it("by text: letters and digits of any script", () => {
    const t = task({ title: "Überprüfen der Größe", description: "v2 release 2026" });
    expect(matches(t, { q: "über größe" })).toBe(true);
    expect(matches(t, { q: "v2 202" })).toBe(true);
    expect(matches(t, { q: "uber" })).toBe(false);
  });

  it("by text: not the task number, which the server's search does not index", () => {
    const t = task({ number: "LW-12", title: "Fix the login page" });
    expect(matches(t, { q: "lw" })).toBe(false);
    expect(matches(t, { q: "12" })).toBe(false);
    expect(matches(task({ number: "LW-12", title: "LW 12 follow-up" }), { q: "lw 12" })).toBe(true);
  });

  it("every field must match", () => {
    const t = task({ assignee_id: 7, labels: [1, 2], priority: "high", title: "Login page" });
    const all: Filter = { assignee: 7, labels: [2], priority: "high", q: "login" };
    expect(matches(t, all)).toBe(true);
    expect(matches(t, { ...all, assignee: 8 })).toBe(false);
    expect(matches(t, { ...all, labels: [3] })).toBe(false);
    expect(matches(t, { ...all, priority: "low" })).toBe(false);
    expect(matches(t, { ...all, q: "logout" })).toBe(false);
  });
});
