import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";

import { ApiError, api, etagOf, idempotencyKey, ok } from "../api";
import { message } from "../auth";
import { useLazy } from "../lazy";
import { boardOnce, FIRST_PAGE } from "../prefetch";
import { navigate, onLink, useLocation } from "../route";
import type { Label, Task, TaskPage, TaskQuery, User } from "../types";
import { Notice, Toast, type ToastNotice } from "../ui";
import { Column, ROW } from "./Column";
import { filterFromQuery, filterParams, filterToQuery, isFiltered } from "./filter";
import { MoveMenu } from "./MoveMenu";
import {
  applyEvent,
  type BoardState,
  type EditFields,
  fromBoard,
  knownVersion,
  type Model,
  neighbours,
  reduce,
  view,
  withPage,
} from "./state";
import { Toolbar } from "./Toolbar";
import { useProject } from "./useProject";

const NEXT_PAGE = 100;
const RECOUNT_AFTER_MS = 300;

type DragModule = typeof import("./drag");

export function Board({ projectId, me }: { projectId: number; me: User }) {
  const { search } = useLocation();
  const filter = useMemo(() => filterFromQuery(search), [search]);
  const filterQuery = filterToQuery(filter);
  const openTask = Number(new URLSearchParams(search).get("task")) || null;

  const [model, dispatch] = useReducer(reduce, { board: null, pending: [] } as Model);
  const current = useRef(model);
  current.current = model;
  const [notice, setNotice] = useState<ToastNotice | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [flashing, setFlashing] = useState<Set<number>>(new Set());
  const [menu, setMenu] = useState<{ task: Task; anchor: HTMLElement } | null>(null);
  const loadingPages = useRef(new Set<number>());
  const latestLoad = useRef(0); // an answer to an older filter arriving late must not replace a newer one
  // with a filter, how many tasks of each status match it: counted by the server at load and
  // again shortly after changes arrive (the columns hold only the pages loaded so far)
  const [matching, setMatching] = useState<Record<number, number> | null>(null);
  const recount = useRef<ReturnType<typeof setTimeout>>();
  const ops = useRef(0);
  const retry = useRef<ReturnType<typeof setTimeout>>();
  const drag = useRef<Promise<unknown> | null>(null);
  const dragReady = useRef<DragModule | null>(null);
  // fetch the drag code once; a failed fetch (server restarting) is tried again on next use
  const loadDrag = () => {
    drag.current ??= import("./drag").then(
      (m) => (dragReady.current = m),
      () => (drag.current = null),
    );
  };

  const Drawer = useLazy(() => import("../drawer/Drawer").then((m) => m.Drawer), openTask !== null);

  const load = useCallback(async () => {
    const mine = ++latestLoad.current;
    try {
      const board = await boardOnce(projectId);
      let state: BoardState = fromBoard(board, filter);
      let counted: Record<number, number> | null = null;
      if (isFiltered(filter)) {
        const query = filterParams(filter);
        const [pages, counts] = await Promise.all([
          Promise.all(state.statuses.map((s) => columnPage(projectId, s.id, query, FIRST_PAGE))),
          countMatching(projectId, query),
        ]);
        state.statuses.forEach((s, i) => {
          state = withPage(state, s.id, pages[i].items, pages[i].next_cursor, true);
        });
        counted = counts;
      }
      if (mine !== latestLoad.current) return;
      setMatching(counted);
      for (const event of recent.current) state = applyEvent(state, event);
      dispatch({ type: "loaded", board: state });
      setFailure(null);
    } catch (error) {
      if (mine !== latestLoad.current) return;
      setFailure(message(error));
      // a server that is down or restarting is tried again; a 4xx is an answer
      if (error instanceof ApiError && (error.status === 0 || error.status >= 500)) {
        retry.current = setTimeout(() => void load(), 2000);
      }
    }
  }, [projectId, filterQuery]);

  useEffect(() => {
    void load();
    return () => {
      clearTimeout(retry.current);
      clearTimeout(recount.current);
    };
  }, [load]);

  const countAgain = () => {
    if (!isFiltered(filter)) return;
    clearTimeout(recount.current);
    recount.current = setTimeout(() => {
      const mine = latestLoad.current;
      void countMatching(projectId, filterParams(filter)).then(
        (counts) => mine === latestLoad.current && setMatching(counts),
        () => undefined, // the next change or load counts again
      );
    }, RECOUNT_AFTER_MS);
  };

  const loaded = model.board !== null;
  const { project, members, viewers, liveStatus, lastEvent, recent } = useProject(projectId, "", loaded, {
    after: () => current.current.board?.seq ?? 0,
    event: (event) => {
      dispatch({ type: "event", event });
      if (event.type.startsWith("task.")) countAgain();
      if (event.task_id !== null && event.actor_id !== me.id && event.type.startsWith("task.")) {
        const id = event.task_id;
        setFlashing((s) => new Set(s).add(id));
        setTimeout(() => setFlashing((s) => withoutId(s, id)), 1600);
      }
    },
    live: () => performance.mark("laneway:live"),
    reload: () => load(),
    denied: setFailure,
  });

  useEffect(() => {
    if (!loaded) return;
    performance.mark("laneway:board-interactive"); // read by bench/web.py
    // prefetch the drag code once the board is up: it stays out of the first download
    const idle = setTimeout(loadDrag, 300);
    return () => clearTimeout(idle);
  }, [loaded, projectId]);

  // a rebalanced column that was only partly loaded is fetched again from the top
  useEffect(() => {
    for (const statusId of model.board?.stale ?? []) void loadPage(statusId, true);
  }, [model.board?.stale]);

  const loadPage = async (statusId: number, replace = false) => {
    const board = current.current.board;
    const cursor = board?.columns[statusId]?.cursor;
    if (!board || (!replace && !cursor) || loadingPages.current.has(statusId)) return;
    loadingPages.current.add(statusId);
    try {
      const query = filterParams(filter);
      if (!replace && cursor) query.cursor = cursor;
      const size = replace ? Math.max(FIRST_PAGE, board.columns[statusId]?.ids.length ?? 0) : NEXT_PAGE;
      const page = await columnPage(projectId, statusId, query, Math.min(200, size));
      dispatch({ type: "page", statusId, items: page.items, cursor: page.next_cursor, replace });
    } catch (error) {
      setNotice({ tone: "error", text: `Could not load more tasks: ${message(error)}` });
    } finally {
      loadingPages.current.delete(statusId);
    }
  };

  const columns = useMemo(() => (model.board ? view(model.board, model.pending) : []), [model]);
  const shownColumns = useRef(columns); // a retried move reads the board as it is by then
  shownColumns.current = columns;
  const pendingIds = useMemo(() => new Set(model.pending.map((op) => op.taskId)), [model.pending]);
  const labels = useMemo(() => byId(model.board?.labels ?? []), [model.board?.labels]);
  const users = useMemo(() => {
    const names: Record<number, string> = { ...(model.board?.users ?? {}) };
    for (const m of members) names[m.user_id] = m.name;
    return names;
  }, [model.board?.users, members]);
  const canWrite = project !== null && project.role !== "viewer" && project.archived_at === null;

  /** Move a task to `index` among the column's shown tasks; the card moves at once. */
  const move = async (taskId: number, statusId: number, index: number, base?: number) => {
    const board = current.current.board;
    const task = board?.tasks[taskId];
    const column = shownColumns.current.find((c) => c.status.id === statusId);
    if (!board || !task || !column) return;
    const shown = column.tasks.map((t) => t.id);
    const place = neighbours(shown, taskId, index);
    const from = shown.indexOf(taskId);
    if (from >= 0 && (index === from || index === from + 1)) return; // dropped where it was
    const opId = ++ops.current;
    const op = { kind: "move" as const, opId, taskId, statusId };
    dispatch({ type: "op", op: { ...op, afterId: place.after_id, beforeId: place.before_id } });
    try {
      const moved = await ok(
        api.POST("/api/v1/tasks/{task_id}/move", {
          params: {
            path: { task_id: taskId },
            header: { "If-Match": etagOf(base ?? knownVersion(current.current, taskId)) },
          },
          body: { status_id: statusId, ...place },
        }),
      );
      dispatch({ type: "confirmed", opId, version: moved.version });
    } catch (error) {
      dispatch({ type: "dropped", opId });
      // moving it again is a decision taken after seeing theirs: on top of the latest version
      const again = {
        label: "Move it again",
        run: () =>
          void ok(api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: taskId } } })).then(
            (fresh) => move(taskId, statusId, index, fresh.version),
            (e) => setNotice({ tone: "error", text: `Could not move ${task.number}: ${message(e)}` }),
          ),
      };
      if (error instanceof ApiError && error.status === 412) {
        setNotice({
          tone: "warning",
          text: `${task.number} was changed by someone else while you moved it. The board shows their version; your move was not applied.`,
          action: again,
        });
      } else {
        setNotice({ tone: "error", text: `Could not move ${task.number}: ${message(error)}`, action: again });
      }
    }
  };

  const add = async (statusId: number, title: string): Promise<boolean> => {
    try {
      await ok(
        api.POST("/api/v1/projects/{project_id}/tasks", {
          params: { path: { project_id: projectId }, header: { "Idempotency-Key": idempotencyKey() } },
          body: { title, status_id: statusId },
        }),
      );
      return true;
    } catch (error) {
      setNotice({ tone: "error", text: `Could not add the task: ${message(error)}` });
      return false;
    }
  };

  const open = (task: Task) => navigate(withTask(filterQuery, task.id));

  const onPointerDown = (event: PointerEvent, task: Task) => {
    if (!canWrite || event.button !== 0 || (event.target as HTMLElement).closest("button")) return;
    loadDrag();
    const card = event.currentTarget as HTMLElement;
    const { clientX: x, clientY: y } = event;
    const onMove = (e: PointerEvent) => {
      if (Math.hypot(e.clientX - x, e.clientY - y) < 6 || !dragReady.current) return;
      stop();
      dragReady.current.startDrag(card, e, { x, y }, {
        rowHeight: ROW,
        onDrop: (statusId, index) => void move(task.id, statusId, index),
      });
    };
    const stop = () => {
      removeEventListener("pointermove", onMove);
      removeEventListener("pointerup", stop);
      removeEventListener("pointercancel", stop);
    };
    addEventListener("pointermove", onMove);
    addEventListener("pointerup", stop);
    addEventListener("pointercancel", stop);
  };

  const onKeyDown = (event: KeyboardEvent, task: Task) => {
    if (event.key === "Enter") {
      open(task);
      return;
    }
    if (!event.altKey || !canWrite) return;
    const at = columns.findIndex((c) => c.status.id === task.status_id);
    const index = at >= 0 ? columns[at].tasks.findIndex((t) => t.id === task.id) : -1;
    const moves: Record<string, [number, number] | undefined> = {
      ArrowLeft: at > 0 ? [columns[at - 1].status.id, 0] : undefined,
      ArrowRight: at >= 0 && at < columns.length - 1 ? [columns[at + 1].status.id, 0] : undefined,
      ArrowUp: index > 0 ? [task.status_id, index - 1] : undefined,
      ArrowDown: index >= 0 ? [task.status_id, index + 2] : undefined,
    };
    const target = moves[event.key];
    if (!(event.key in moves)) return;
    event.preventDefault();
    if (target) void move(task.id, target[0], target[1]);
    requestAnimationFrame(() =>
      document.querySelector<HTMLElement>(`[data-task-id="${task.id}"]`)?.focus(),
    );
  };

  if (failure && !model.board) {
    return (
      <main class="page">
        <Notice tone="error">{failure}</Notice>
        <a href="/" onClick={onLink}>
          Back to projects
        </a>
      </main>
    );
  }
  if (!model.board) return <main class="page muted">Loading the board…</main>;

  return (
    <main class="board-page">
      <Toolbar
        project={project}
        board={model.board}
        filter={filter}
        members={members}
        viewers={viewers}
        users={users}
        liveStatus={liveStatus}
        me={me}
      />
      {failure && <Notice tone="error">{failure}</Notice>}
      {project?.archived_at && (
        <Notice tone="info">This project is archived: its board is read-only until an owner restores it.</Notice>
      )}
      <div
        class="board"
        aria-busy={filterToQuery(model.board.filter) !== filterQuery}
        data-filter={filterToQuery(model.board.filter)}
      >
        {columns.map((column) => (
          <Column
            key={column.status.id}
            column={column}
            labels={labels}
            users={users}
            pendingIds={pendingIds}
            flashing={flashing}
            canWrite={canWrite}
            filtered={isFiltered(filter)}
            matching={matching?.[column.status.id] ?? (matching ? 0 : undefined)}
            onMore={(id) => void loadPage(id)}
            onAdd={add}
            onOpen={open}
            onPointerDown={onPointerDown}
            onKeyDown={onKeyDown}
            onMenu={(task, anchor) => setMenu({ task, anchor })}
          />
        ))}
      </div>
      {menu && (
        <MoveMenu
          task={menu.task}
          anchor={menu.anchor}
          statuses={model.board.statuses}
          onMove={(statusId) => {
            setMenu(null);
            void move(menu.task.id, statusId, 0);
          }}
          onOpen={() => {
            setMenu(null);
            open(menu.task);
          }}
          onClose={() => setMenu(null)}
        />
      )}
      {notice && <Toast notice={notice} onClose={() => setNotice(null)} />}
      {openTask !== null && Drawer && (
        <Drawer
          taskId={openTask}
          board={model.board}
          members={members}
          me={me}
          canWrite={canWrite}
          lastEvent={lastEvent}
          optimistic={{
            begin: (taskId: number, fields: EditFields) => {
              const opId = ++ops.current;
              dispatch({ type: "op", op: { kind: "edit", opId, taskId, fields } });
              return opId;
            },
            done: (opId: number, version?: number) =>
              dispatch(version === undefined ? { type: "dropped", opId } : { type: "confirmed", opId, version }),
          }}
          onClose={() => navigate(`/p/${projectId}${filterQuery}`)}
          onOpen={(id: number) => navigate(withTask(filterQuery, id))}
        />
      )}
    </main>
  );
}

/** How many tasks of each status match the filter's `query`. */
async function countMatching(projectId: number, query: TaskQuery): Promise<Record<number, number>> {
  const counts = await ok(
    api.GET("/api/v1/projects/{project_id}/tasks/counts", {
      params: { path: { project_id: projectId }, query },
    }),
  );
  return Object.fromEntries(counts.items.map((c) => [c.status_id, c.count]));
}

/** A page of one column's tasks (in board order) that match the filter's `query`. */
function columnPage(projectId: number, statusId: number, query: TaskQuery, limit: number): Promise<TaskPage> {
  return ok(
    api.GET("/api/v1/projects/{project_id}/tasks", {
      params: { path: { project_id: projectId }, query: { ...query, status: [statusId], sort: "rank", limit } },
    }),
  );
}

function withTask(filterQuery: string, taskId: number): string {
  const params = new URLSearchParams(filterQuery);
  params.set("task", String(taskId));
  return `${location.pathname}?${params}`;
}

function byId(labels: Label[]): Record<number, Label> {
  return Object.fromEntries(labels.map((l) => [l.id, l]));
}

function withoutId(set: Set<number>, id: number): Set<number> {
  const next = new Set(set);
  next.delete(id);
  return next;
}
