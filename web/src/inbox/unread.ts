// The unread count the top bar shows, shared by the bell and the inbox page. One long poll
// (`/me/notifications/wait`) is kept open while the app is: the server answers the moment a
// notification is made for me, or after 25 s, and the next poll starts at once.

import { useEffect, useState } from "preact/hooks";

import { get } from "../api";
import type { InboxChange, NotificationPage } from "../types";

const RETRY_MS = 5_000;

let count: number | null = null;
let newest = 0;
const listeners = new Set<(n: number) => void>();
let polling = false;

export async function refreshUnread(): Promise<void> {
  try {
    const page = await get<NotificationPage>("/me/notifications?unread_only=true&limit=1");
    setUnread(page.unread);
  } catch {
    // offline or signed out: the long poll tries again
  }
}

export function setUnread(value: number): void {
  count = value;
  for (const listener of listeners) listener(value);
}

async function poll(): Promise<void> {
  if (polling) return;
  polling = true;
  while (listeners.size > 0) {
    try {
      const answer = await get<InboxChange>(`/me/notifications/wait?after=${newest}&timeout=25`);
      newest = answer.newest;
      setUnread(answer.unread);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  polling = false;
}

export function useUnread(): number | null {
  const [value, setValue] = useState(count);
  useEffect(() => {
    listeners.add(setValue);
    void poll();
    const visible = () => document.visibilityState === "visible" && void refreshUnread();
    document.addEventListener("visibilitychange", visible);
    return () => {
      listeners.delete(setValue);
      document.removeEventListener("visibilitychange", visible);
    };
  }, []);
  return value;
}
