import type { JSX } from "preact";

import { taskProgress } from "../markdown/tasklist";
import type { Label, Task } from "../types";
import { Avatar, formatDue, isOverdue } from "../ui";

export interface CardProps {
  task: Task;
  top: number;
  labels: Record<number, Label>;
  assignee: string | null;
  pending: boolean;
  flash: boolean;
  onOpen(task: Task): void;
  onPointerDown(event: PointerEvent, task: Task): void;
  onKeyDown(event: KeyboardEvent, task: Task): void;
  onMenu(task: Task, anchor: HTMLElement): void;
}

export function Card(props: CardProps) {
  const { task } = props;
  const checklist = taskProgress(task.description);
  const style: JSX.CSSProperties = { transform: `translateY(${props.top}px)` };
  const classes = ["task-card", props.pending && "pending", props.flash && "flash"].filter(Boolean);
  return (
    <article
      class={classes.join(" ")}
      style={style}
      data-task-id={task.id}
      data-number={task.number}
      tabIndex={0}
      aria-label={`${task.number} ${task.title}`}
      onClick={() => props.onOpen(task)}
      onPointerDown={(e) => props.onPointerDown(e, task)}
      onKeyDown={(e) => props.onKeyDown(e, task)}
    >
      <div class="card-top">
        <span class="task-number">{task.number}</span>
        {task.priority !== "none" && (
          <span class={`priority priority-${task.priority}`} title={`Priority: ${task.priority}`}>
            {task.priority}
          </span>
        )}
        <button
          type="button"
          class="icon-button card-menu"
          aria-label={`Move ${task.number}`}
          aria-haspopup="menu"
          onClick={(e) => {
            e.stopPropagation();
            props.onMenu(task, e.currentTarget);
          }}
        >
          ⋯
        </button>
      </div>
      <div class="task-title">{task.title}</div>
      <div class="card-bottom">
        <span class="card-labels">
          {task.labels.map((id) => {
            const label = props.labels[id];
            return label ? (
              <span key={id} class="label-chip" style={{ "--label": label.color }}>
                {label.name}
              </span>
            ) : null;
          })}
        </span>
        {checklist.total > 0 && (
          <span
            class={`checklist ${checklist.done === checklist.total ? "complete" : ""}`}
            title={`${checklist.done} of ${checklist.total} checklist items done`}
          >
            ☑ {checklist.done}/{checklist.total}
          </span>
        )}
        {task.due_date && (
          <span class={`due ${isOverdue(task.due_date) ? "overdue" : ""}`} title={`Due ${task.due_date}`}>
            {formatDue(task.due_date)}
          </span>
        )}
        {task.assignee_id !== null && props.assignee && (
          <Avatar id={task.assignee_id} name={props.assignee} size="sm" />
        )}
      </div>
    </article>
  );
}
