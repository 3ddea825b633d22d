// Task lists in a description's source: what a checkbox click changes, and a card's `3/5`.

/** The source with its `index`-th task-list marker ticked or cleared. */
export function toggleTask(text: string, index: number, checked: boolean): string {
  let seen = -1;
  return text.replace(/^(\s*(?:[-*+]|\d+[.)])\s+)\[([ xX])\]/gm, (whole, lead: string) => {
    seen += 1;
    return seen === index ? `${lead}[${checked ? "x" : " "}]` : whole;
  });
}

/** Ticked and all task-list items: the `3/5` a card shows. */
export function taskProgress(text: string): { done: number; total: number } {
  const marks = [...text.matchAll(/^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]/gm)];
  return { done: marks.filter((m) => m[1] !== " ").length, total: marks.length };
}
