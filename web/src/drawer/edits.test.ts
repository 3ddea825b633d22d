import { describe, expect, it } from "vitest";
import { type CommentEvent, type EventPayloads, makeEvent, makeTask } from "../testing";
import type { LiveEvent, Status, Task, TaskEvent } from "../types";
import { type Draft, describeEvent, draftOf, edits } from "./edits";

function task(fields: Partial<Task> = {}): Task {
  return makeTask({
    id: 12,
    title: "Fix the login page",
    description: "It is blank.",
    assignee_id: 7,
    priority: "high",
    labels: [2, 5],
    due_date: "2026-03-01",
    estimate: 3,
    version: 4,
    updated_at: "2026-01-02T00:00:00Z",
    ...fields,
  });
}

function status(id: number, name: string): Status {
  return { id, project_id: 1, name, category: "unstarted", position: id, wip_limit: null, count: 0 };
}

/** An event about task 12, without its snapshot (the history line reads none). */
function event(payloads: EventPayloads, actor: number | null = 1): LiveEvent {
  return makeEvent(1, payloads, { actor_id: actor, subject_id: 12, task_id: 12 });
}

describe("draftOf", () => {
  it("takes the editable fields only", () => {
    const t = task();
    expect(draftOf(t)).toEqual({
      title: "Fix the login page",
      description: "It is blank.",
      status_id: 1,
      assignee_id: 7,
      priority: "high",
      labels: [2, 5],
      due_date: "2026-03-01",
    });
  });

  it("copies the labels, so editing the draft leaves the task alone", () => {
    const t = task();
    const draft = draftOf(t);
    expect(draft.labels).not.toBe(t.labels);
    draft.labels.push(9);
    expect(t.labels).toEqual([2, 5]);
  });
});

describe("edits", () => {
  it("is empty for an untouched draft", () => {
    const t = task();
    expect(edits(t, draftOf(t))).toEqual({});
  });

  it("compares labels by value, not by identity", () => {
    const t = task();
    expect(edits(t, { ...draftOf(t), labels: [2, 5] })).toEqual({});
    expect(edits(t, { ...draftOf(t), labels: [2] })).toEqual({ labels: [2] });
    expect(edits(t, { ...draftOf(t), labels: [] })).toEqual({ labels: [] });
    expect(edits(t, { ...draftOf(t), labels: [2, 5, 8] })).toEqual({ labels: [2, 5, 8] });
  });

  it("lists only the fields that changed", () => {
    const t = task();
    const draft: Draft = { ...draftOf(t), priority: "low", assignee_id: null, due_date: null };
    expect(edits(t, draft)).toEqual({ priority: "low", assignee_id: null, due_date: null });
  });

  it("lists a change from null", () => {
    const t = task({ assignee_id: null, due_date: null });
    expect(edits(t, { ...draftOf(t), assignee_id: 3, due_date: "2026-04-01" })).toEqual({
      assignee_id: 3,
      due_date: "2026-04-01",
    });
  });

  it("lists a status or description change", () => {
    const t = task();
    expect(edits(t, { ...draftOf(t), status_id: 2, description: "" })).toEqual({ status_id: 2, description: "" });
  });

  it("sends the title trimmed", () => {
    const t = task();
    expect(edits(t, { ...draftOf(t), title: "  Fix the logout page " })).toEqual({ title: "Fix the logout page" });
  });

  it("a title changed only by surrounding spaces is not a change", () => {
    const t = task();
    expect(edits(t, { ...draftOf(t), title: "Fix the login page  " })).toEqual({});
    expect(edits(t, { ...draftOf(t), title: "\tFix the login page" })).toEqual({});
  });

  it("a blank title is sent as empty, for the server to refuse", () => {
    expect(edits(task(), { ...draftOf(task()), title: "   " })).toEqual({ title: "" });
  });

  it("leaves the draft as it is", () => {
    const t = task();
    const draft = { ...draftOf(t), title: " New " };
    edits(t, draft);
    expect(draft.title).toBe(" New ");
  });
});

describe("describeEvent", () => {
  const names = { 1: "Ada", 7: "Grace" };
  const statuses = [status(1, "Todo"), status(2, "In Progress"), status(3, "Done")];

  it("names the actor, or says who it was not", () => {
    expect(describeEvent(event({ type: "task.created", snapshot: null }), names, statuses)).toBe("Ada created the task");
    expect(describeEvent(event({ type: "task.created", snapshot: null, changes: {} }, 99), names, statuses)).toBe("User 99 created the task");
    expect(describeEvent(event({ type: "task.created", snapshot: null, changes: {} }, null), names, statuses)).toBe("Someone created the task");
  });

  it("has a verb for each task and comment event", () => {
    const lines: [TaskEvent["type"] | CommentEvent["type"], string][] = [
      ["task.archived", "Ada archived the task"],
      ["task.restored", "Ada restored the task"],
      ["task.deleted", "Ada deleted the task"],
      ["comment.created", "Ada commented"],
      ["comment.updated", "Ada edited a comment"],
      ["comment.deleted", "Ada deleted a comment"],
    ];
    for (const [type, line] of lines) expect(describeEvent(event({ type, snapshot: null }), names, statuses)).toBe(line);
  });

  it("falls back to the event type", () => {
    expect(describeEvent(event({ type: "label.created", snapshot: null }), names, statuses)).toBe("Ada label.created");
  });

  it("shows a move between statuses by name", () => {
    expect(describeEvent(event({ type: "task.moved", snapshot: null, changes: { status_id: [1, 3], rank: ["a", "b"] } }), names, statuses)).toBe(
      "Ada moved it from Todo to Done",
    );
    expect(describeEvent(event({ type: "task.updated", snapshot: null, changes: { status_id: [2, 1], title: ["a", "b"] } }), names, statuses)).toBe(
      "Ada moved it from In Progress to Todo",
    );
  });

  it("shows the id of a status that no longer exists", () => {
    expect(describeEvent(event({ type: "task.moved", snapshot: null, changes: { status_id: [9, 2] } }), names, statuses)).toBe(
      "Ada moved it from 9 to In Progress",
    );
  });

  it("a move within a column is a reorder", () => {
    expect(describeEvent(event({ type: "task.moved", snapshot: null, changes: { rank: ["a", "b"] } }), names, statuses)).toBe("Ada reordered it");
  });

  it("an update lists the fields it changed, rank aside", () => {
    expect(
      describeEvent(event({ type: "task.updated", snapshot: null, changes: { title: ["a", "b"], priority: ["low", "high"] } }), names, statuses),
    ).toBe("Ada changed title, priority");
    expect(describeEvent(event({ type: "task.updated", snapshot: null, changes: { rank: ["a", "b"], labels: [[], [1]] } }), names, statuses)).toBe(
      "Ada changed labels",
    );
    expect(describeEvent(event({ type: "task.updated", snapshot: null, changes: {} }), names, statuses)).toBe("Ada changed the task");
    expect(describeEvent(event({ type: "task.updated", snapshot: null, changes: {} }, 7), names, statuses)).toBe("Grace changed the task");
  });
});
