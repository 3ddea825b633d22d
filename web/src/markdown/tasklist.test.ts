import { describe, expect, it } from "vitest";

import { taskProgress, toggleTask } from "./tasklist";

const SOURCE = "Plan\n\n- [ ] draft\n- [x] review\n  * [ ] nested\n1. [X] numbered\n- not a task\n`- [ ] in code`";

describe("task lists", () => {
  it("counts ticked and all items, nested and numbered ones too", () => {
    expect(taskProgress(SOURCE)).toEqual({ done: 2, total: 4 });
    expect(taskProgress("no tasks")).toEqual({ done: 0, total: 0 });
  });

  it("ticks and clears the n-th marker only", () => {
    const ticked = toggleTask(SOURCE, 0, true);
    expect(ticked).toContain("- [x] draft");
    expect(taskProgress(ticked)).toEqual({ done: 3, total: 4 });
    const cleared = toggleTask(ticked, 3, false);
    expect(cleared).toContain("1. [ ] numbered");
    expect(cleared.replace("1. [ ] numbered", "1. [X] numbered")).toBe(ticked);
    expect(toggleTask(SOURCE, 9, true)).toBe(SOURCE);
  });
});
