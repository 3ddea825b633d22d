// The unread count the top bar shows, shared by the bell and the inbox page. One long poll
// (`/me/notifications/wait`) is kept open while the app is: the server answers the moment a
// notification is made for me, or after 25 s, and the next poll starts at once.

import { useEffect, useState } from "preact/hooks";

import { api, ok } from "../api";

const RETRY_MS = 5_000;

let count: number | null = null;
let newest = 0;
const listeners = new Set<(n: number) => void>();
let polling = false;

export async function refreshUnread(): Promise<void> {
  try {
    const page = await ok(api.GET("/api/v1/me/notifications", { params: { query: { unread_only: true, limit: 1 } } }));
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
      const query = { after: newest, timeout: 25 };
      const answer = await ok(api.GET("/api/v1/me/notifications/wait", { params: { query } }));
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
