import { describe, expect, it } from "vitest";

import { ago, initials } from "./ui";

describe("ago", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");
  it("says just now within a minute, either side", () => {
    expect(ago("2026-11-30T11:59:30Z", now)).toBe("just now");
    expect(ago("2026-11-30T12:00:20Z", now)).toBe("just now");
  });
  it("picks the largest whole unit", () => {
    const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
    expect(ago("2026-11-30T11:55:00Z", now)).toBe(format.format(-5, "minute"));
    expect(ago("2026-11-30T09:00:00Z", now)).toBe(format.format(-3, "hour"));
    expect(ago("2026-11-29T10:00:00Z", now)).toBe(format.format(-1, "day"));
    expect(ago("2026-10-01T12:00:00Z", now)).toBe(format.format(-2, "month"));
  });
});

describe("initials", () => {
  it("takes the first and last name's first letters, or a single name's first two", () => {
    expect(initials("Ada King Lovelace")).toBe("AL");
    expect(initials("  grace  ")).toBe("GR");
  });
});
