// What can be done to the selected rows at once: the task API's bulk actions.

import type { Label, Member, Status } from "../types";

export type BulkChange =
  | { action: "move"; status_id: number }
  | { action: "assign"; assignee_id: number | null }
  | { action: "label"; add_labels: number[] }
  | { action: "archive" };

export function BulkBar(props: {
  count: number;
  statuses: Status[];
  members: Member[];
  labels: Label[];
  busy: boolean;
  onApply(change: BulkChange): void;
  onClear(): void;
}) {
  // each menu acts once chosen, then shows its prompt again
  const choose = (value: string, make: (value: string) => BulkChange) => {
    if (value !== "") props.onApply(make(value));
  };
  return (
    <div class="bulk-bar" role="toolbar" aria-label="Change the selected tasks">
      <strong>{props.count} selected</strong>
      <select
        aria-label="Move the selected tasks to"
        value=""
        disabled={props.busy}
        onChange={(e) => choose(e.currentTarget.value, (v) => ({ action: "move", status_id: Number(v) }))}
      >
        <option value="">Move to…</option>
        {props.statuses.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <select
        aria-label="Assign the selected tasks to"
        value=""
        disabled={props.busy}
        onChange={(e) =>
          choose(e.currentTarget.value, (v) => ({ action: "assign", assignee_id: v === "none" ? null : Number(v) }))
        }
      >
        <option value="">Assign to…</option>
        <option value="none">Unassigned</option>
        {props.members.map((m) => (
          <option key={m.user_id} value={m.user_id}>
            {m.name}
          </option>
        ))}
      </select>
      {props.labels.length > 0 && (
        <select
          aria-label="Label the selected tasks"
          value=""
          disabled={props.busy}
          onChange={(e) => choose(e.currentTarget.value, (v) => ({ action: "label", add_labels: [Number(v)] }))}
        >
          <option value="">Add label…</option>
          {props.labels.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
      )}
      <button type="button" disabled={props.busy} onClick={() => props.onApply({ action: "archive" })}>
        Archive
      </button>
      <button type="button" class="link-button" onClick={props.onClear}>
        Clear selection
      </button>
    </div>
  );
}
