// Small pieces shared by every screen.

import type { ComponentChildren } from "preact";

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : parts[0].slice(0, 2);
  return letters.toUpperCase();
}

/** A stable colour per person, so an avatar is recognisable at a glance. */
export function hue(id: number): number {
  return (id * 137) % 360;
}

export function Avatar({ id, name, size = "md" }: { id: number; name: string; size?: "sm" | "md" }) {
  return (
    <span
      class={`avatar avatar-${size}`}
      style={{ "--hue": String(hue(id)) }}
      title={name}
      aria-label={name}
    >
      {initials(name)}
    </span>
  );
}

export function Notice(props: {
  tone: "error" | "warning" | "info";
  children: ComponentChildren;
  onClose?: () => void;
}) {
  return (
    <div class={`notice notice-${props.tone}`} role={props.tone === "info" ? "status" : "alert"}>
      <div class="notice-body">{props.children}</div>
      {props.onClose && (
        <button type="button" class="icon-button" aria-label="Dismiss" onClick={props.onClose}>
          ×
        </button>
      )}
    </div>
  );
}

/** A message in the corner, with one thing to do about it (its button also dismisses it). */
export interface ToastNotice {
  tone: "error" | "warning" | "info";
  text: string;
  action?: { label: string; run(): void };
}

export function Toast({ notice, onClose }: { notice: ToastNotice; onClose(): void }) {
  return (
    <div class="toast">
      <Notice tone={notice.tone} onClose={onClose}>
        <span>{notice.text}</span>
        {notice.action && (
          <button
            type="button"
            class="link-button"
            onClick={() => {
              onClose();
              notice.action!.run();
            }}
          >
            {notice.action.label}
          </button>
        )}
      </Notice>
    </div>
  );
}

export function formatDue(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

export function isOverdue(date: string): boolean {
  return date < new Date().toISOString().slice(0, 10);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "just now", "5 minutes ago", "yesterday": how long ago, as people say it. */
export function ago(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(seconds) < 60) return "just now";
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return "just now";
}

export function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {ago(iso)}
    </time>
  );
}
