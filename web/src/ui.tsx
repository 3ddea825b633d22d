// Small pieces shared by every screen.

import type { ComponentChildren } from "preact";

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : name.slice(0, 2);
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

export function formatDue(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

export function isOverdue(date: string): boolean {
  return date < new Date().toISOString().slice(0, 10);
}
