// Task lists in a description's source: what a checkbox click changes, and a card's `3/5`.
// The renderer numbers each checkbox by the source line its list item starts on, so a click
// ticks that line's marker and nothing else: a `- [ ]` inside a code block is never a task.

/** A list item's marker at the start of its line: quotes and list markers, then `[ ]`/`[x]`. */
const MARKER = /^((?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))+[ \t]+)\[([ xX])\]/;
/** What markdown-it counts as a line break. */
const BREAK = /(\r\n|\r|\n)/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The source with the task-list marker on line `line` (from 0) ticked or cleared. */
export function toggleTask(text: string, line: number, checked: boolean): string {
  if (!taskLines(text).has(line)) return text;
  const parts = text.split(BREAK); // lines at even places, their breaks between
  const at = line * 2;
  parts[at] = parts[at].replace(MARKER, (_whole, lead: string) => `${lead}[${checked ? "x" : " "}]`);
  return parts.join("");
}

/** Ticked and all task-list items outside fenced code: the `3/5` a card shows. */
export function taskProgress(text: string): { done: number; total: number } {
  const marks = [...taskLines(text).values()];
  return { done: marks.filter(Boolean).length, total: marks.length };
}

/** Each line (from 0) that starts a task-list item outside fenced code, and whether ticked. */
function taskLines(text: string): Map<number, boolean> {
  const found = new Map<number, boolean>();
  let fence: string | null = null;
  text.split(/\r\n|\r|\n/).forEach((line, number) => {
    const opening = FENCE.exec(line)?.[1];
    if (fence !== null) {
      if (opening && opening[0] === fence[0] && opening.length >= fence.length) fence = null;
    } else if (opening) {
      fence = opening;
    } else {
      const mark = MARKER.exec(line);
      if (mark) found.set(number, mark[2] !== " ");
    }
  });
  return found;
}
