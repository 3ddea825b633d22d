import { describe, expect, it } from "vitest";
import { visibleRange, wantsMore } from "./virtual";

describe("visibleRange", () => {
  it("at the top: the rows in view, one partly shown, and the overscan below", () => {
    // 300px of 100px rows: rows 0-2 in view, row 3 partly, 4 more of overscan
    expect(visibleRange(0, 300, 100, 50)).toEqual({ start: 0, end: 8 });
  });

  it("scrolled: overscan on both sides", () => {
    expect(visibleRange(1000, 300, 100, 50)).toEqual({ start: 6, end: 18 });
    // part way into row 10
    expect(visibleRange(1050, 300, 100, 50)).toEqual({ start: 6, end: 18 });
    expect(visibleRange(1099, 300, 100, 50)).toEqual({ start: 6, end: 18 });
    expect(visibleRange(1100, 300, 100, 50)).toEqual({ start: 7, end: 19 });
  });

  it("a viewport that is not a whole number of rows rounds up", () => {
    expect(visibleRange(0, 250, 100, 50)).toEqual({ start: 0, end: 8 });
    expect(visibleRange(0, 301, 100, 50)).toEqual({ start: 0, end: 9 });
  });

  it("takes the overscan it is given", () => {
    expect(visibleRange(1000, 300, 100, 50, 0)).toEqual({ start: 10, end: 14 });
    expect(visibleRange(1000, 300, 100, 50, 20)).toEqual({ start: 0, end: 34 });
  });

  it("never goes past the rows there are", () => {
    expect(visibleRange(0, 300, 100, 5)).toEqual({ start: 0, end: 5 });
    expect(visibleRange(4500, 300, 100, 50)).toEqual({ start: 41, end: 50 });
    expect(visibleRange(0, 300, 100, 0)).toEqual({ start: 0, end: 0 });
  });

  it("scrolled past the end (the list shrank): an empty range at the end", () => {
    expect(visibleRange(10_000, 300, 100, 5)).toEqual({ start: 5, end: 5 });
  });

  it("treats a negative scroll (overscroll bounce) or viewport as zero", () => {
    expect(visibleRange(-200, 300, 100, 50)).toEqual({ start: 0, end: 8 });
    expect(visibleRange(0, -10, 100, 50)).toEqual({ start: 0, end: 5 });
  });

  it("a hidden column (no height yet) still renders its first rows", () => {
    expect(visibleRange(0, 0, 100, 50)).toEqual({ start: 0, end: 5 });
  });
});

describe("wantsMore", () => {
  it("asks once the rendered end is within `ahead` rows of the loaded end", () => {
    expect(wantsMore(39, 50, true)).toBe(false);
    expect(wantsMore(40, 50, true)).toBe(true);
    expect(wantsMore(50, 50, true)).toBe(true);
  });

  it("never asks when there is no more", () => {
    expect(wantsMore(50, 50, false)).toBe(false);
    expect(wantsMore(0, 0, false)).toBe(false);
  });

  it("takes the distance it is given", () => {
    expect(wantsMore(20, 50, true, 30)).toBe(true);
    expect(wantsMore(19, 50, true, 30)).toBe(false);
    expect(wantsMore(49, 50, true, 0)).toBe(false);
    expect(wantsMore(50, 50, true, 0)).toBe(true);
  });

  it("asks for a column with no loaded rows that has more", () => {
    expect(wantsMore(0, 0, true)).toBe(true);
  });

  it("with visibleRange: scrolling to the bottom of a 50-row page asks for more", () => {
    const top = visibleRange(0, 600, 100, 50);
    expect(wantsMore(top.end, 50, true)).toBe(false);
    const bottom = visibleRange(4400, 600, 100, 50);
    expect(wantsMore(bottom.end, 50, true)).toBe(true);
  });
});
