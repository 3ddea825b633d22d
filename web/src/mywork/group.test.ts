import { describe, expect, it } from "vitest";

import { groupOf } from "./group";

describe("my work groups", () => {
  const today = new Date(2027, 2, 10, 15, 30); // 10 March 2027, afternoon
  it("puts each due date in its group", () => {
    expect(groupOf("2027-03-09", today)).toBe("Overdue");
    expect(groupOf("2027-03-10", today)).toBe("Today");
    expect(groupOf("2027-03-16", today)).toBe("This week");
    expect(groupOf("2027-03-17", today)).toBe("Later");
    expect(groupOf(null, today)).toBe("No due date");
  });
});
