import { useEffect, useRef } from "preact/hooks";

import type { Status, Task } from "../types";

/** "Move to…" for keyboards and screen readers: the same move as a drag, without a pointer. */
export function MoveMenu(props: {
  task: Task;
  anchor: HTMLElement;
  statuses: Status[];
  onMove(statusId: number): void;
  onOpen(): void;
  onClose(): void;
}) {
  const menu = useRef<HTMLDivElement>(null);
  const rect = props.anchor.getBoundingClientRect();

  useEffect(() => {
    menu.current?.querySelector<HTMLElement>("button:not([disabled])")?.focus();
    const away = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node)) props.onClose();
    };
    const escape = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        props.onClose();
        props.anchor.focus();
      }
    };
    addEventListener("pointerdown", away, true);
    addEventListener("keydown", escape);
    return () => {
      removeEventListener("pointerdown", away, true);
      removeEventListener("keydown", escape);
    };
  }, []);

  return (
    <div
      ref={menu}
      class="menu"
      role="menu"
      aria-label={`Move ${props.task.number}`}
      style={{ top: `${rect.bottom + 4}px`, left: `${Math.max(8, rect.right - 200)}px` }}
    >
      <button type="button" role="menuitem" onClick={props.onOpen}>
        Open {props.task.number}
      </button>
      <div class="menu-title">Move to</div>
      {props.statuses.map((s) => (
        <button
          key={s.id}
          type="button"
          role="menuitem"
          disabled={s.id === props.task.status_id}
          onClick={() => props.onMove(s.id)}
        >
          {s.name}
        </button>
      ))}
    </div>
  );
}
