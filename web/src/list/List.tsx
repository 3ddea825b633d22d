// The list view of a project: every task as a row, sorted by any column, with the board's
// filters, live, edited in place and changed in bulk. Rows are rendered only where they show.

import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";

import { ApiError, api, etagOf, idempotencyKey, ok } from "../api";
import { message } from "../auth";
import { type Filter, filterFromQuery, filterParams, filterToQuery, isFiltered } from "../board/filter";
import { fromBoard } from "../board/state";
import { Toolbar } from "../board/Toolbar";
import { useProject } from "../board/useProject";
import { visibleRange, wantsMore } from "../board/virtual";
import { useLazy } from "../lazy";
import { loadBoard } from "../prefetch";
import { navigate, onLink, useLocation } from "../route";
import type { Task, TaskPage, User } from "../types";
import { Notice, Toast, type ToastNotice } from "../ui";
import { type BulkChange, BulkBar } from "./BulkBar";
import { type Editable, LIST_ROW, ListRow } from "./ListRow";
import { loaded, type Model, orderContext, reduce } from "./model";
import { DEFAULT_SORT, type Sort, type SortKey, sortFromQuery, sortParam } from "./order";
import { emptyRows, shown, withPage } from "./rows";

const PAGE = 100;

const HEADERS: { key: SortKey; label: string }[] = [
  { key: "number", label: "#" },
  { key: "title", label: "Title" },
  { key: "status", label: "Status" },
  { key: "assignee", label: "Assignee" },
  { key: "priority", label: "Priority" },
  { key: "due", label: "Due" },
  { key: "updated", label: "Updated" },
];

/** The list's address: its filter and sort (left out when it is the default), and an open task. */
export function listUrl(projectId: number, filter: Filter, sort: Sort, task?: number): string {
  const params = new URLSearchParams(filterToQuery(filter));
  if (sortParam(sort) !== sortParam(DEFAULT_SORT)) params.set("sort", sortParam(sort));
  if (task !== undefined) params.set("task", String(task));
  const text = params.toString();
  return `/p/${projectId}/list${text ? `?${text}` : ""}`;
}

/** A page of the tasks that match `filter`, in `sort`'s order. */
function tasksPage(projectId: number, filter: Filter, sort: Sort, limit: number, cursor?: string): Promise<TaskPage> {
  const query = { ...filterParams(filter), sort: sortParam(sort), limit, cursor };
  return ok(api.GET("/api/v1/projects/{project_id}/tasks", { params: { path: { project_id: projectId }, query } }));
}

function fetchTask(taskId: number): Promise<Task> {
  return ok(api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: taskId } } }));
}

export function List({ projectId, me }: { projectId: number; me: User }) {
  const { search } = useLocation();
  const filter = useMemo(() => filterFromQuery(search), [search]);
  const sort = useMemo(() => sortFromQuery(search), [search]);
  const listQuery = `${filterToQuery(filter)}|${sortParam(sort)}`;
  const openTask = Number(new URLSearchParams(search).get("task")) || null;

  const [model, dispatch] = useReducer(reduce, { project: null, rows: null, pending: [] } as Model);
  const current = useRef(model);
  current.current = model;
  const [notice, setNotice] = useState<ToastNotice | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null); // where a shift-selection starts
  const [active, setActive] = useState<number | null>(null); // the row keyboard focus is on
  const [busy, setBusy] = useState(false);
  const [viewport, setViewport] = useState({ top: 0, height: 600 });
  const body = useRef<HTMLDivElement>(null);
  const focusWanted = useRef(false);
  const latestLoad = useRef(0); // an older sort's or filter's answer arriving late is dropped
  const loadingMore = useRef(false);
  const ops = useRef(0);
  const editing = useRef(new Map<number, Promise<void>>());
  const retry = useRef<ReturnType<typeof setTimeout>>();

  const Drawer = useLazy(() => import("../drawer/Drawer").then((m) => m.Drawer), openTask !== null);

  /** The rows for the URL's filter and sort. The project (statuses, labels, people) is kept
   * by the live stream once loaded, so a new sort or filter costs one request; `project` loads
   * it again (the stream fell too far behind), `keep` reloads as many rows as are shown. */
  const load = useCallback(async (options: { project?: boolean; keep?: boolean } = {}) => {
    const mine = ++latestLoad.current;
    try {
      const known = options.project ? null : current.current.project;
      const state = known ?? fromBoard(await loadBoard(projectId), filter);
      const shownRows = current.current.rows?.ids.length ?? 0;
      const size = options.keep ? Math.max(PAGE, Math.min(200, shownRows)) : PAGE;
      const page = await tasksPage(projectId, filter, sort, size);
      if (mine !== latestLoad.current) return;
      const rows = withPage(emptyRows(sort, filter), page.items, page.next_cursor, orderContext(state), true);
      dispatch(known ? { type: "rows", rows, recent: recent.current } : loaded(state, rows, recent.current));
      setFailure(null);
    } catch (error) {
      if (mine !== latestLoad.current) return;
      setFailure(message(error));
      if (error instanceof ApiError && (error.status === 0 || error.status >= 500)) {
        retry.current = setTimeout(() => void load(options), 2000);
      }
    }
  }, [projectId, listQuery]);

  useEffect(() => {
    void load();
    setSelected(new Set());
    // another sort or filter starts at its top: scrolled down, the rows shown until its first
    // page arrives would ask for more of the old order
    if (body.current) body.current.scrollTop = 0;
    setViewport((shown) => (shown.top === 0 ? shown : { ...shown, top: 0 }));
    return () => clearTimeout(retry.current);
  }, [load]);

  const ready = model.rows !== null;
  const { project, members, viewers, liveStatus, lastEvent, recent } = useProject(projectId, "List", ready, {
    after: () => current.current.project?.seq ?? 0,
    event: (event) => dispatch({ type: "event", event }),
    members: (list) => dispatch({ type: "people", names: Object.fromEntries(list.map((m) => [m.user_id, m.name])) }),
    reload: () => load({ project: true }),
    denied: setFailure,
  });
  useEffect(() => {
    if (ready) performance.mark("laneway:list-interactive"); // read by bench/web.py
  }, [ready]);

  // the order itself changed (a status moved, an assignee was renamed): the rows load again
  useEffect(() => {
    if (model.rows?.stale) void load({ keep: true });
  }, [model.rows?.stale]);

  const rowsQuery = model.rows ? `${filterToQuery(model.rows.filter)}|${sortParam(model.rows.sort)}` : null;
  useEffect(() => {
    if (rowsQuery !== null) performance.mark("laneway:list-rows"); // read by bench/web.py
  }, [rowsQuery]);

  const tasks = useMemo(() => (model.rows ? shown(model.rows, model.pending) : []), [model.rows, model.pending]);
  const pendingIds = useMemo(() => new Set(model.pending.map((op) => op.taskId)), [model.pending]);
  const more = (model.rows?.cursor ?? null) !== null;

  useLayoutEffect(() => {
    const element = body.current;
    if (!element) return;
    const measure = () => setViewport({ top: element.scrollTop, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ready]);
  const { start, end } = visibleRange(viewport.top, viewport.height, LIST_ROW, tasks.length, 8);

  const loadMore = async () => {
    const rows = current.current.rows;
    if (!rows?.cursor || loadingMore.current) return;
    loadingMore.current = true;
    const mine = latestLoad.current;
    try {
      const page = await tasksPage(projectId, rows.filter, rows.sort, PAGE, rows.cursor);
      if (mine === latestLoad.current) dispatch({ type: "page", items: page.items, cursor: page.next_cursor, replace: false });
    } catch (error) {
      setNotice({ tone: "error", text: `Could not load more tasks: ${message(error)}` });
    } finally {
      loadingMore.current = false;
    }
  };
  useEffect(() => {
    if (wantsMore(end, tasks.length, more, 20)) void loadMore();
  }, [end, tasks.length, more]);

  const canWrite = project !== null && project.role !== "viewer" && project.archived_at === null;
  const statuses = model.project?.statuses ?? [];
  const users = useMemo(() => {
    const names: Record<number, string> = { ...(model.project?.users ?? {}) };
    for (const m of members) names[m.user_id] = m.name;
    return names;
  }, [model.project?.users, members]);

  /** Change fields of one task; the row shows it at once and takes the server's answer. Edits
   * of one task go one after another, each on the version the one before it made. */
  const edit = (task: Task, fields: Editable, base?: number) => {
    const opId = ++ops.current;
    dispatch({ type: "op", op: { opId, taskId: task.id, fields } });
    const before = editing.current.get(task.id) ?? Promise.resolve();
    const done = before.then(() => save(task, fields, opId, base));
    editing.current.set(task.id, done);
    void done.then(() => editing.current.get(task.id) === done && editing.current.delete(task.id));
  };

  const save = async (task: Task, fields: Editable, opId: number, base?: number) => {
    try {
      const version = base ?? current.current.rows?.tasks[task.id]?.version ?? task.version;
      const saved = await ok(
        api.PATCH("/api/v1/tasks/{task_id}", {
          params: { path: { task_id: task.id }, header: { "If-Match": etagOf(version) } },
          body: fields,
        }),
      );
      dispatch({ type: "answer", opId, tasks: [saved] });
    } catch (error) {
      dispatch({ type: "dropped", opId });
      const again = {
        label: "Apply mine again",
        run: () =>
          void fetchTask(task.id).then(
            (fresh) => edit(fresh, fields, fresh.version),
            (e) => setNotice({ tone: "error", text: `Could not change ${task.number}: ${message(e)}` }),
          ),
      };
      if (error instanceof ApiError && error.status === 412) {
        // show theirs now rather than when its event arrives
        fetchTask(task.id).then((fresh) => dispatch({ type: "answer", tasks: [fresh] }), () => undefined);
        setNotice({
          tone: "warning",
          text: `${task.number} was changed by someone else meanwhile. The list shows their version; your change was not applied.`,
          action: again,
        });
      } else {
        setNotice({ tone: "error", text: `Could not change ${task.number}: ${message(error)}`, action: again });
      }
    }
  };

  const bulk = async (change: BulkChange) => {
    const ids = [...selected];
    if (ids.length === 0) return;
    setBusy(true);
    try {
      const answer = await ok(
        api.POST("/api/v1/projects/{project_id}/tasks/bulk", {
          params: { path: { project_id: projectId }, header: { "Idempotency-Key": idempotencyKey() } },
          body: { task_ids: ids, ...change },
        }),
      );
      dispatch({ type: "answer", tasks: answer.items });
      setSelected(new Set());
      const done = change.action === "archive" ? "archived" : "changed";
      setNotice({ tone: "info", text: `${answer.updated} of ${ids.length} tasks ${done}.` });
    } catch (error) {
      setNotice({ tone: "error", text: `Nothing was changed: ${message(error)}` });
    } finally {
      setBusy(false);
    }
  };

  const open = (task: Task) => navigate(listUrl(projectId, filter, sort, task.id));

  const select = (task: Task, range: boolean) => {
    const next = new Set(selected);
    const at = tasks.findIndex((t) => t.id === task.id);
    const from = anchor === null ? -1 : tasks.findIndex((t) => t.id === anchor);
    if (range && from >= 0 && at >= 0) {
      for (let i = Math.min(from, at); i <= Math.max(from, at); i++) next.add(tasks[i].id);
    } else {
      if (next.has(task.id)) next.delete(task.id);
      else next.add(task.id);
      setAnchor(task.id);
    }
    setSelected(next);
  };

  /** Put keyboard focus on a row, scrolling it into view first: only shown rows exist. */
  const focusRow = (index: number) => {
    const target = tasks[Math.max(0, Math.min(tasks.length - 1, index))];
    const element = body.current;
    if (!target || !element) return;
    const at = tasks.indexOf(target) * LIST_ROW;
    if (at < element.scrollTop) element.scrollTop = at;
    else if (at + LIST_ROW > element.scrollTop + element.clientHeight) {
      element.scrollTop = at + LIST_ROW - element.clientHeight;
    }
    setActive(target.id);
    // at once when the row is shown, so that the next key already lands on it
    const row = element.querySelector<HTMLElement>(`[data-task-id="${target.id}"]`);
    if (row) row.focus();
    else focusWanted.current = true;
  };
  useEffect(() => {
    if (!focusWanted.current || active === null) return;
    focusWanted.current = false;
    body.current?.querySelector<HTMLElement>(`[data-task-id="${active}"]`)?.focus();
  });

  const onRowKey = (event: KeyboardEvent, index: number) => {
    if (event.target !== event.currentTarget) return; // a menu inside the row has the key
    const task = tasks[index];
    const page = Math.max(1, Math.floor(viewport.height / LIST_ROW) - 1);
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      PageDown: index + page,
      PageUp: index - page,
      Home: 0,
      End: tasks.length - 1,
    };
    if (event.key in moves) {
      event.preventDefault();
      const to = Math.max(0, Math.min(tasks.length - 1, moves[event.key]));
      if (event.shiftKey && tasks[to]) {
        if (anchor === null) setAnchor(task.id);
        select(tasks[to], true);
      }
      focusRow(to);
      return;
    }
    const field = { s: "status", a: "assignee", p: "priority" }[event.key];
    if (event.key === "Enter") open(task);
    else if (event.key === " " || event.key === "x") select(task, event.shiftKey);
    else if (event.key === "Escape") setSelected(new Set());
    else if (field && canWrite) {
      (event.currentTarget as HTMLElement).querySelector<HTMLElement>(`[data-field="${field}"]`)?.focus();
    } else return;
    event.preventDefault();
  };

  let frame = 0;
  const onScroll = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const element = body.current;
      if (element) setViewport({ top: element.scrollTop, height: element.clientHeight });
    });
  };

  if (failure && !model.rows) {
    return (
      <main class="page">
        <Notice tone="error">{failure}</Notice>
        <a href="/" onClick={onLink}>
          Back to projects
        </a>
      </main>
    );
  }
  if (!model.rows || !model.project) return <main class="page muted">Loading the list…</main>;

  const rows = model.rows;
  const total = statuses.reduce((sum, s) => sum + s.count, 0);
  const allSelected = tasks.length > 0 && tasks.every((t) => selected.has(t.id));
  const sortBy = (key: SortKey) => {
    const descending = sort.key === key ? !sort.descending : key === "updated" || key === "priority";
    navigate(listUrl(projectId, filter, { key, descending }), { replace: true });
  };
  const activeId = active !== null && tasks.some((t) => t.id === active) ? active : tasks[0]?.id;

  return (
    <main class="board-page list-page">
      <Toolbar
        project={project}
        board={model.project}
        filter={filter}
        members={members}
        viewers={viewers}
        users={users}
        liveStatus={liveStatus}
        me={me}
        view="list"
        pathFor={(next) => listUrl(projectId, next, sort)}
      />
      {failure && <Notice tone="error">{failure}</Notice>}
      {selected.size > 0 && canWrite && (
        <BulkBar
          count={selected.size}
          statuses={statuses}
          members={members}
          labels={model.project.labels}
          busy={busy}
          onApply={(change) => void bulk(change)}
          onClear={() => setSelected(new Set())}
        />
      )}
      <div
        class="list"
        role="grid"
        aria-label="Tasks"
        aria-multiselectable="true"
        aria-rowcount={isFiltered(filter) ? -1 : total + 1}
        aria-busy={rowsQuery !== listQuery}
        data-sort={sortParam(rows.sort)}
        data-count={tasks.length}
      >
        <div class="list-row list-header" role="row" aria-rowindex={1}>
          <span role="columnheader" class="cell-select">
            <input
              type="checkbox"
              aria-label="Select all loaded tasks"
              checked={allSelected}
              indeterminate={selected.size > 0 && !allSelected}
              onClick={() => setSelected(allSelected ? new Set() : new Set(tasks.map((t) => t.id)))}
            />
          </span>
          {HEADERS.map(({ key, label }) => (
            <span
              key={key}
              role="columnheader"
              class={`cell-${key}`}
              aria-sort={sort.key === key ? (sort.descending ? "descending" : "ascending") : "none"}
            >
              <button type="button" class="sort-button" onClick={() => sortBy(key)}>
                {label}
                <span aria-hidden="true">{sort.key === key ? (sort.descending ? " ↓" : " ↑") : ""}</span>
              </button>
            </span>
          ))}
        </div>
        <div class="list-body" ref={body} onScroll={onScroll}>
          <div class="list-spacer" style={{ height: `${tasks.length * LIST_ROW + (more ? LIST_ROW : 0)}px` }}>
            {tasks.slice(start, end).map((task, i) => (
              <ListRow
                key={task.id}
                task={task}
                index={start + i}
                statuses={statuses}
                members={members}
                users={users}
                selected={selected.has(task.id)}
                active={task.id === activeId}
                pending={pendingIds.has(task.id)}
                canWrite={canWrite}
                onSelect={(t, e) => select(t, e.shiftKey)}
                onOpen={open}
                onEdit={edit}
                onKeyDown={onRowKey}
                onFocus={(index) => setActive(tasks[index]?.id ?? null)}
              />
            ))}
            {more && (
              <div class="loading-more" style={{ transform: `translateY(${tasks.length * LIST_ROW}px)` }}>
                Loading more…
              </div>
            )}
            {tasks.length === 0 && !more && <div class="empty-column">No tasks</div>}
          </div>
        </div>
        <div class="list-footer muted" role="status">
          {isFiltered(filter) ? `${tasks.length}${more ? "+" : ""} matching` : `${total} tasks`}
          {selected.size > 0 && ` · ${selected.size} selected`}
        </div>
      </div>
      {notice && <Toast notice={notice} onClose={() => setNotice(null)} />}
      {openTask !== null && Drawer && (
        <Drawer
          taskId={openTask}
          board={model.project}
          members={members}
          me={me}
          canWrite={canWrite}
          lastEvent={lastEvent}
          optimistic={{
            begin: (taskId, fields) => {
              const opId = ++ops.current;
              dispatch({ type: "op", op: { opId, taskId, fields } });
              return opId;
            },
            done: (opId, version) =>
              dispatch(version === undefined ? { type: "dropped", opId } : { type: "confirmed", opId, version }),
          }}
          onClose={() => navigate(listUrl(projectId, filter, sort))}
          onOpen={(id) => navigate(listUrl(projectId, filter, sort, id))}
        />
      )}
    </main>
  );
}
