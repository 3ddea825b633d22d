import { describe, expect, it } from "vitest";

import { insert, matches, typed } from "./complete";

const PEOPLE = [
  { username: "ada", name: "Ada Lovelace" },
  { username: "bob.b", name: "Bob Babbage" },
  { username: "lovely", name: "Someone Else" },
];

describe("mention completion", () => {
  it("finds the @fragment before the caret, not in an email or mid-word", () => {
    expect(typed("hi @ad", 6)).toEqual({ start: 3, fragment: "ad" });
    expect(typed("@", 1)).toEqual({ start: 0, fragment: "" });
    expect(typed("mail ada@example", 16)).toBeNull();
    expect(typed("hi @ada and more", 16)).toBeNull();
    expect(typed("(@Bo", 4)).toEqual({ start: 1, fragment: "bo" });
  });

  it("matches usernames first, then words of names", () => {
    expect(matches(PEOPLE, "lov").map((c) => c.username)).toEqual(["lovely", "ada"]);
    expect(matches(PEOPLE, "").length).toBe(3);
    expect(matches(PEOPLE, "zz")).toEqual([]);
  });

  it("inserts the username and a space, keeping the rest", () => {
    expect(insert("hi @ad, ok", 3, 6, "ada")).toEqual({ text: "hi @ada , ok", caret: 8 });
  });
});
