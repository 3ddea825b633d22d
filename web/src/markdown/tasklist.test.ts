import { describe, expect, it } from "vitest";

import { taskProgress, toggleTask } from "./tasklist";

const SOURCE = [
  "Plan", // 0
  "", // 1
  "- [ ] draft", // 2
  "- [x] review", // 3
  "  * [ ] nested", // 4
  "1. [X] numbered", // 5
  "- not a task", // 6
  "```", // 7
  "- [ ] in a code block", // 8
  "```", // 9
  "> - [ ] quoted", // 10
  "`- [ ] in code`", // 11
].join("\n");

describe("task lists", () => {
  it("counts ticked and all items outside code, nested, numbered and quoted ones too", () => {
    expect(taskProgress(SOURCE)).toEqual({ done: 2, total: 5 });
    expect(taskProgress("no tasks")).toEqual({ done: 0, total: 0 });
    expect(taskProgress("~~~~\n- [ ] code\n~~~\n- [ ] still code\n~~~~\n- [x] task")).toEqual({
      done: 1,
      total: 1,
    });
  });

  it("ticks and clears the marker on the given line only", () => {
    const ticked = toggleTask(SOURCE, 2, true);
    expect(ticked.split("\n")[2]).toBe("- [x] draft");
    expect(taskProgress(ticked)).toEqual({ done: 3, total: 5 });
    const cleared = toggleTask(ticked, 5, false);
    expect(cleared.split("\n")[5]).toBe("1. [ ] numbered");
    expect(toggleTask(SOURCE, 10, true).split("\n")[10]).toBe("> - [x] quoted");
    expect(toggleTask(SOURCE, 4, true).split("\n")[4]).toBe("  * [x] nested");
  });

  it("changes nothing on a line without a marker, past the end, or inside code", () => {
    for (const line of [0, 6, 8, 11, 12, 99, -1, 1.5]) expect(toggleTask(SOURCE, line, true)).toBe(SOURCE);
  });

  it("keeps each line break as it was", () => {
    const windows = "a\r\n- [ ] one\r\n- [ ] two";
    expect(toggleTask(windows, 2, true)).toBe("a\r\n- [ ] one\r\n- [x] two");
  });
});
