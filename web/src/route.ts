// Client-side routes over the History API; the server answers each of these paths with the app.

import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "login" }
  | { page: "register" }
  | { page: "projects" }
  | { page: "board"; projectId: number }
  | { page: "list"; projectId: number }
  | { page: "settings"; projectId: number }
  | { page: "inbox" }
  | { page: "mywork" }
  | { page: "missing" };

export function parse(path: string): Route {
  if (path === "/" || path === "") return { page: "projects" };
  if (path === "/login") return { page: "login" };
  if (path === "/register") return { page: "register" };
  if (path === "/inbox") return { page: "inbox" };
  if (path === "/my-work") return { page: "mywork" };
  const board = /^\/p\/(\d+)(\/settings|\/list)?\/?$/.exec(path);
  if (board) {
    const projectId = Number(board[1]);
    if (board[2] === "/settings") return { page: "settings", projectId };
    return board[2] === "/list" ? { page: "list", projectId } : { page: "board", projectId };
  }
  return { page: "missing" };
}

const listeners = new Set<() => void>();

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (url === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  for (const listener of listeners) listener();
}

addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

/** The current path and query; re-renders on navigation. */
export function useLocation(): { path: string; search: string } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((t) => t + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return { path: location.pathname, search: location.search };
}

/** Follow an in-app link without reloading the page. */
export function onLink(event: MouseEvent): void {
  const anchor = (event.currentTarget as HTMLAnchorElement | null)?.getAttribute("href");
  if (!anchor || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(anchor);
}
