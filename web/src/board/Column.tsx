import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

import type { Label, Task } from "../types";
import { Card, type CardProps } from "./Card";
import type { ViewColumn } from "./state";
import { visibleRange, wantsMore } from "./virtual";

/** Card height plus the gap below it; the drag code and the CSS (--row) use the same figure. */
export const ROW = 96;

type CardHandlers = Pick<CardProps, "onOpen" | "onPointerDown" | "onKeyDown" | "onMenu">;

export interface ColumnProps extends CardHandlers {
  column: ViewColumn;
  labels: Record<number, Label>;
  users: Record<number, string>;
  pendingIds: Set<number>;
  flashing: Set<number>;
  canWrite: boolean;
  filtered: boolean;
  /** With a filter: how many of the column's tasks match it (all of them, not only those loaded). */
  matching?: number;
  onMore(statusId: number): void;
  onAdd(statusId: number, title: string): Promise<boolean>;
}

export function Column(props: ColumnProps) {
  const { status, tasks, more, overLimit } = props.column;
  const body = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 800 });
  const [adding, setAdding] = useState(false);
  const counted = props.filtered && props.matching !== undefined;

  useLayoutEffect(() => {
    const element = body.current!;
    const measure = () => setViewport({ top: element.scrollTop, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const { start, end } = visibleRange(viewport.top, viewport.height, ROW, tasks.length);
  useEffect(() => {
    if (wantsMore(end, tasks.length, more)) props.onMore(status.id);
  }, [end, tasks.length, more]);

  let frame = 0;
  const onScroll = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const element = body.current;
      if (element) setViewport({ top: element.scrollTop, height: element.clientHeight });
    });
  };

  return (
    <section
      class={`column ${overLimit ? "over-limit" : ""}`}
      data-status-id={status.id}
      data-count={tasks.length}
      aria-label={status.name}
    >
      <header class="column-header">
        <span class={`status-dot category-${status.category}`} />
        <h2>{status.name}</h2>
        <span
          class="column-count"
          title={counted ? "Tasks that match the filter, of all in this status" : props.filtered ? "All tasks in this status" : "Tasks"}
        >
          {counted
            ? `${props.matching} of ${status.count}`
            : status.wip_limit !== null
              ? `${status.count} / ${status.wip_limit}`
              : status.count}
        </span>
        {props.canWrite && (
          <button
            type="button"
            class="icon-button"
            aria-label={`Add a task to ${status.name}`}
            onClick={() => setAdding(!adding)}
          >
            +
          </button>
        )}
      </header>
      {overLimit && (
        <div class="wip-warning" role="status">
          Over the WIP limit of {status.wip_limit}
        </div>
      )}
      {adding && (
        <QuickAdd
          statusName={status.name}
          onAdd={(title) => props.onAdd(status.id, title)}
          onClose={() => setAdding(false)}
        />
      )}
      <div class="column-body" ref={body} onScroll={onScroll}>
        <div class="column-spacer" style={{ height: `${tasks.length * ROW + (more ? ROW : 0)}px` }}>
          {tasks.slice(start, end).map((task: Task, i) => (
            <Card
              key={task.id}
              task={task}
              top={(start + i) * ROW}
              labels={props.labels}
              assignee={task.assignee_id === null ? null : (props.users[task.assignee_id] ?? "?")}
              pending={props.pendingIds.has(task.id)}
              flash={props.flashing.has(task.id)}
              onOpen={props.onOpen}
              onPointerDown={props.onPointerDown}
              onKeyDown={props.onKeyDown}
              onMenu={props.onMenu}
            />
          ))}
          {more && (
            <div class="loading-more" style={{ transform: `translateY(${tasks.length * ROW}px)` }}>
              Loading more…
            </div>
          )}
          {tasks.length === 0 && !more && <div class="empty-column">No tasks</div>}
        </div>
      </div>
    </section>
  );
}

function QuickAdd(props: { statusName: string; onAdd(title: string): Promise<boolean>; onClose(): void }) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <form
      class="quick-add"
      onSubmit={async (e) => {
        e.preventDefault();
        const element = input.current!;
        const title = element.value.trim();
        if (!title) return;
        // clear at once so the next title can be typed while this one is saved; a failed save
        // gives its title back unless something new has been typed since
        element.value = "";
        element.focus();
        if (!(await props.onAdd(title)) && element.value === "") element.value = title;
      }}
    >
      <input
        ref={input}
        maxLength={500}
        placeholder="Task title, then Enter"
        aria-label={`New task in ${props.statusName}`}
        onKeyDown={(e) => e.key === "Escape" && props.onClose()}
      />
    </form>
  );
}
