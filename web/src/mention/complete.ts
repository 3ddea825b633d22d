// Which @name is being typed where the caret is, and what inserting a choice makes of the text.

export interface Candidate {
  username: string;
  name: string;
}

const TYPING = /(^|[^\w@./-])@([a-z0-9._-]{0,40})$/i;

/** The fragment after an `@` that ends at `caret`, and where that `@` is; null if none. */
export function typed(text: string, caret: number): { start: number; fragment: string } | null {
  const match = TYPING.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[2].length - 1, fragment: match[2].toLowerCase() };
}

/** Members whose username or name starts with the fragment (usernames first), at most `limit`. */
export function matches(candidates: Candidate[], fragment: string, limit = 6): Candidate[] {
  const byUsername = candidates.filter((c) => c.username.startsWith(fragment));
  const byName = candidates.filter(
    (c) =>
      !byUsername.includes(c) &&
      c.name
        .toLowerCase()
        .split(/\s+/)
        .some((word) => word.startsWith(fragment)),
  );
  return [...byUsername, ...byName].slice(0, limit);
}

/** The text with `@fragment` at `start` replaced by `@username `, and the caret after it. */
export function insert(text: string, start: number, caret: number, username: string): { text: string; caret: number } {
  const inserted = `@${username} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}
