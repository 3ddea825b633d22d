// Which rows of a fixed-height list are on screen: a column renders only those.

export function visibleRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 4,
): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + shown + overscan);
  return { start: Math.min(start, end), end };
}

/** Ask for the next page once the rendered rows come within `ahead` rows of the loaded end. */
export function wantsMore(end: number, loaded: number, more: boolean, ahead = 10): boolean {
  return more && end + ahead >= loaded;
}
