// The inbox: what happened that concerns me, newest first; opening one marks it read.

import { useEffect, useState } from "preact/hooks";

import { api, ok } from "../api";
import { message } from "../auth";
import { navigate } from "../route";
import type { Notification } from "../types";
import { Notice, When } from "../ui";
import { refreshUnread, setUnread, useUnread } from "./unread";

const WHAT: Record<Notification["kind"], string> = {
  assigned: "assigned you",
  mentioned: "mentioned you",
  commented: "commented",
  status: "moved it to",
  due_soon: "Due tomorrow",
  overdue: "Overdue",
};

export function Inbox() {
  const [items, setItems] = useState<Notification[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async (cursor: string | null = null) => {
    try {
      const query = { limit: 30, ...(unreadOnly ? { unread_only: true } : {}), ...(cursor ? { cursor } : {}) };
      const page = await ok(api.GET("/api/v1/me/notifications", { params: { query } }));
      setItems((shown) => (cursor && shown ? [...shown, ...page.items] : page.items));
      setNext(page.next_cursor);
      setUnread(page.unread);
    } catch (e) {
      setError(message(e));
    }
  };

  const unread = useUnread();
  const shownUnread = items?.filter((n) => !n.read).length ?? 0;

  useEffect(() => {
    document.title = "Inbox · Laneway";
    void load();
  }, [unreadOnly]);

  // a notification arrived while the inbox is open (the bell's long poll heard it): show it
  useEffect(() => {
    if (items !== null && unread !== null && unread > shownUnread) void load();
  }, [unread]);

  const open = async (n: Notification) => {
    if (!n.read) {
      const path = { notification_id: n.id };
      await ok(api.POST("/api/v1/me/notifications/{notification_id}/read", { params: { path } })).catch(() => undefined);
      void refreshUnread();
    }
    if (n.task) navigate(`/p/${n.project.id}?task=${n.task.id}`);
    else navigate(`/p/${n.project.id}`);
  };

  const readAll = async () => {
    const newest = items?.[0]?.id;
    try {
      const marked = await ok(api.POST("/api/v1/me/notifications/read", { body: newest ? { up_to: newest } : {} }));
      setUnread(marked.unread);
      await load();
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <main class="page inbox">
      <h1>Inbox</h1>
      {error && (
        <Notice tone="error" onClose={() => setError(null)}>
          {error}
        </Notice>
      )}
      <div class="inline-form">
        <label>
          <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.currentTarget.checked)} />{" "}
          Unread only
        </label>
        <button type="button" onClick={() => void readAll()} disabled={!items?.some((n) => !n.read)}>
          Mark all read
        </button>
      </div>
      {items === null ? (
        <p class="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p class="muted">Nothing here: you are told when you are assigned, mentioned, or a task you watch changes.</p>
      ) : (
        <ul class="notification-list">
          {items.map((n) => (
            <li key={n.id} class={n.read ? "read" : "unread"} data-kind={n.kind}>
              <button type="button" class="notification" onClick={() => void open(n)}>
                <span class="notification-what">
                  {n.actor ? `${n.actor.name} ${WHAT[n.kind]}` : WHAT[n.kind]}
                  {n.kind === "status" && n.excerpt ? ` ${n.excerpt}` : ""}
                </span>
                {n.task && (
                  <span class="notification-task">
                    <span class="task-number">{n.task.number}</span> {n.task.title}
                  </span>
                )}
                {n.excerpt && n.kind !== "status" && <span class="muted notification-excerpt">{n.excerpt}</span>}
                <span class="muted">
                  {n.project.name} · <When iso={n.created_at} />
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" onClick={() => void load(next)}>
          Older
        </button>
      )}
    </main>
  );
}
