// The unread count the top bar shows, shared by the bell and the inbox page. It is asked for
// when the page opens, when the tab comes back into view, a moment after any live change on
// an open board (the notifier runs just after the commit), and every half minute besides.

import { useEffect, useState } from "preact/hooks";

import { get } from "../api";
import type { NotificationPage } from "../types";

const EVERY_MS = 30_000;
const AFTER_CHANGE_MS = 1_000;

let count: number | null = null;
const listeners = new Set<(n: number) => void>();
let timer: ReturnType<typeof setTimeout> | undefined;

export async function refreshUnread(): Promise<void> {
  try {
    const page = await get<NotificationPage>("/me/notifications?unread_only=true&limit=1");
    set(page.unread);
  } catch {
    // offline or signed out: the next refresh tries again
  }
}

export function setUnread(value: number): void {
  set(value);
}

function set(value: number): void {
  count = value;
  for (const listener of listeners) listener(value);
}

/** Something changed on a live board: look again once the notifier had its turn. */
export function changed(): void {
  clearTimeout(timer);
  timer = setTimeout(() => void refreshUnread(), AFTER_CHANGE_MS);
}

export function useUnread(): number | null {
  const [value, setValue] = useState(count);
  useEffect(() => {
    listeners.add(setValue);
    if (count === null) void refreshUnread();
    const poll = setInterval(() => {
      if (document.visibilityState === "visible") void refreshUnread();
    }, EVERY_MS);
    const visible = () => document.visibilityState === "visible" && void refreshUnread();
    document.addEventListener("visibilitychange", visible);
    return () => {
      listeners.delete(setValue);
      clearInterval(poll);
      document.removeEventListener("visibilitychange", visible);
    };
  }, []);
  return value;
}
