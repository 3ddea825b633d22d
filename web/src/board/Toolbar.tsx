import { useEffect, useRef, useState } from "preact/hooks";

import type { LiveStatus } from "../live";
import { navigate, onLink } from "../route";
import { type Member, PRIORITIES, type Project, type User } from "../types";
import { Avatar } from "../ui";
import { type Filter, filterToQuery, isFiltered } from "./filter";
import type { BoardState } from "./state";

/** How long typing pauses before the board is searched for what was typed. */
export const SEARCH_PAUSE_MS = 250;

export function Toolbar(props: {
  project: Project | null;
  board: BoardState;
  filter: Filter;
  members: Member[];
  viewers: number[];
  users: Record<number, string>;
  liveStatus: LiveStatus;
  me: User;
  view?: "board" | "list";
  /** Where a changed filter leads: the board by default. */
  pathFor?: (filter: Filter) => string;
}) {
  const { board, filter } = props;
  const view = props.view ?? "board";
  const pathFor = props.pathFor ?? ((next: Filter) => `/p/${board.projectId}${filterToQuery(next)}`);
  const chosen = filter.labels ?? []; // tasks must have every one of them
  const [text, setText] = useState(filter.q ?? "");
  const searched = useRef(filter.q); // the last search the box itself sent
  const latest = useRef({ filter, pathFor });
  latest.current = { filter, pathFor };
  // the address fills the box when it says something the box did not send (a link, Back)
  useEffect(() => {
    if (filter.q !== searched.current) setText(filter.q ?? "");
    searched.current = filter.q;
  }, [filter.q]);
  // search as you type: a pause sends it (Enter at once), replacing the address as it goes
  useEffect(() => {
    const q = text.trim() || undefined;
    if (q === filter.q) return;
    const timer = setTimeout(() => search(q, { replace: true }), SEARCH_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [text, filter.q]);

  const change = (patch: Partial<Filter>) => {
    navigate(pathFor({ ...filter, ...patch }));
  };
  const search = (q: string | undefined, options: { replace?: boolean } = {}) => {
    searched.current = q;
    const { filter: now, pathFor: to } = latest.current;
    navigate(to({ ...now, q }), options);
  };
  const others = props.viewers.filter((id) => id !== props.me.id);
  const liveLabel = { live: "Live", connecting: "Connecting…", offline: "Reconnecting…" }[
    props.liveStatus
  ];

  return (
    <div class="toolbar">
      <h1 class="board-title">
        <span class="project-key">{board.key}</span>
        {props.project?.name ?? ""}
      </h1>
      <nav class="view-switch" aria-label="View">
        {(["board", "list"] as const).map((v) => (
          <a
            key={v}
            href={`/p/${board.projectId}${v === "list" ? "/list" : ""}${filterToQuery(filter)}`}
            aria-current={v === view ? "page" : undefined}
            onClick={onLink}
          >
            {v === "board" ? "Board" : "List"}
          </a>
        ))}
      </nav>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          search(text.trim() || undefined);
        }}
      >
        <input
          type="search"
          value={text}
          placeholder="Search tasks"
          aria-label="Search tasks"
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <select
          aria-label="Assignee"
          value={filter.assignee === undefined ? "" : String(filter.assignee)}
          onChange={(e) => {
            const v = e.currentTarget.value;
            change({ assignee: v === "" ? undefined : v === "none" ? "none" : Number(v) });
          }}
        >
          <option value="">Anyone</option>
          <option value="none">Unassigned</option>
          {props.members.map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.name}
            </option>
          ))}
        </select>
        <select
          aria-label="Label"
          value=""
          onChange={(e) => {
            const id = Number(e.currentTarget.value);
            if (id) change({ labels: [...chosen, id] });
          }}
        >
          <option value="">{chosen.length ? "And label…" : "Any label"}</option>
          {board.labels
            .filter((l) => !chosen.includes(l.id))
            .map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
        </select>
        {chosen.map((id) => {
          const label = board.labels.find((l) => l.id === id);
          const name = label?.name ?? `label ${id}`;
          return (
            <button
              key={id}
              type="button"
              class="label-chip filter-chip"
              style={{ "--label": label?.color ?? "#888" }}
              aria-label={`Stop filtering by ${name}`}
              onClick={() => change({ labels: chosen.filter((x) => x !== id) })}
            >
              {name} ×
            </button>
          );
        })}
        <select
          aria-label="Priority"
          value={filter.priority ?? ""}
          onChange={(e) => {
            const v = e.currentTarget.value;
            change({ priority: v ? (v as Filter["priority"]) : undefined });
          }}
        >
          <option value="">Any priority</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        {isFiltered(filter) && (
          <button type="button" class="link-button" onClick={() => navigate(pathFor({}))}>
            Clear filters
          </button>
        )}
      </form>
      <div class="presence" aria-label="Also viewing">
        {others.map((id) => (
          <Avatar key={id} id={id} name={props.users[id] ?? `User ${id}`} size="sm" />
        ))}
      </div>
      <span class={`live-status live-${props.liveStatus}`} role="status" data-status={props.liveStatus}>
        {liveLabel}
      </span>
      <a class="link-button" href={`/p/${board.projectId}/settings`} onClick={onLink}>
        Settings
      </a>
    </div>
  );
}
