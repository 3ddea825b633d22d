// One row of the list view: a task's fields, three of them editable in place.

import type { JSX } from "preact";

import { type Member, PRIORITIES, type Priority, type Status, type Task } from "../types";
import { formatDue, isOverdue, When } from "../ui";

/** A row's height; the CSS (--list-row) uses the same figure. */
export const LIST_ROW = 40;

export type Editable = Partial<Pick<Task, "status_id" | "assignee_id" | "priority">>;

export function ListRow(props: {
  task: Task;
  index: number;
  statuses: Status[];
  members: Member[];
  users: Record<number, string>;
  selected: boolean;
  active: boolean;
  pending: boolean;
  canWrite: boolean;
  onSelect(task: Task, event: MouseEvent): void;
  onOpen(task: Task): void;
  onEdit(task: Task, fields: Editable): void;
  onKeyDown(event: KeyboardEvent, index: number): void;
  onFocus(index: number): void;
}) {
  const { task } = props;
  const status = props.statuses.find((s) => s.id === task.status_id);
  const style: JSX.CSSProperties = { transform: `translateY(${props.index * LIST_ROW}px)` };
  const classes = ["list-row", props.selected && "selected", props.pending && "pending"].filter(Boolean);
  const assignee = task.assignee_id === null ? null : (props.users[task.assignee_id] ?? "?");
  // someone who has left the project stays shown until the task is given to another
  const former = task.assignee_id !== null && !props.members.some((m) => m.user_id === task.assignee_id);
  return (
    <div
      class={classes.join(" ")}
      style={style}
      role="row"
      aria-rowindex={props.index + 2 /* the header is row 1 */}
      aria-selected={props.selected}
      tabIndex={props.active ? 0 : -1}
      data-task-id={task.id}
      data-row-index={props.index}
      onKeyDown={(e) => props.onKeyDown(e, props.index)}
      onFocus={(e) => e.target === e.currentTarget && props.onFocus(props.index)}
    >
      <span role="gridcell" class="cell-select">
        <input
          type="checkbox"
          tabIndex={-1}
          checked={props.selected}
          aria-label={`Select ${task.number}`}
          onClick={(e) => props.onSelect(task, e)}
        />
      </span>
      <span role="gridcell" class="cell-number">
        {task.number}
      </span>
      <span role="gridcell" class="cell-title">
        <button type="button" class="link-button row-title" tabIndex={-1} onClick={() => props.onOpen(task)}>
          {task.title}
        </button>
      </span>
      <span role="gridcell" class="cell-status">
        {props.canWrite ? (
          <select
            tabIndex={-1}
            aria-label={`Status of ${task.number}`}
            data-field="status"
            value={String(task.status_id)}
            onChange={(e) => props.onEdit(task, { status_id: Number(e.currentTarget.value) })}
          >
            {props.statuses.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        ) : (
          (status?.name ?? "")
        )}
      </span>
      <span role="gridcell" class="cell-assignee">
        {props.canWrite ? (
          <select
            tabIndex={-1}
            aria-label={`Assignee of ${task.number}`}
            data-field="assignee"
            value={task.assignee_id === null ? "" : String(task.assignee_id)}
            onChange={(e) => {
              const value = e.currentTarget.value;
              props.onEdit(task, { assignee_id: value === "" ? null : Number(value) });
            }}
          >
            <option value="">Unassigned</option>
            {former && <option value={String(task.assignee_id)}>{assignee}</option>}
            {props.members.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name}
              </option>
            ))}
          </select>
        ) : (
          (assignee ?? <span class="muted">Unassigned</span>)
        )}
      </span>
      <span role="gridcell" class="cell-priority">
        {props.canWrite ? (
          <select
            tabIndex={-1}
            aria-label={`Priority of ${task.number}`}
            data-field="priority"
            value={task.priority}
            onChange={(e) => props.onEdit(task, { priority: e.currentTarget.value as Priority })}
          >
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        ) : (
          task.priority
        )}
      </span>
      <span role="gridcell" class={`cell-due ${task.due_date && isOverdue(task.due_date) ? "overdue" : ""}`}>
        {task.due_date ? formatDue(task.due_date) : ""}
      </span>
      <span role="gridcell" class="cell-updated muted">
        <When iso={task.updated_at} />
      </span>
    </div>
  );
}
