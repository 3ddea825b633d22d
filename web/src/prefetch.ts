// The board's first answer, asked for with the page (beside /me) instead of after it, and
// taken once by the board.

import { api, ok } from "./api";
import type { BoardOut } from "./types";

/** Tasks per column in the board's first answer. */
export const FIRST_PAGE = 50;

export function loadBoard(projectId: number): Promise<BoardOut> {
  return ok(
    api.GET("/api/v1/projects/{project_id}/board", {
      params: { path: { project_id: projectId }, query: { limit: FIRST_PAGE } },
    }),
  );
}

const early = new Map<number, Promise<BoardOut>>();

export function prefetchBoard(projectId: number): void {
  const request = loadBoard(projectId);
  request.catch(() => undefined); // its screen sees the failure; nobody else should
  early.set(projectId, request);
}

/** The prefetched board, if there is one; or a fresh request. */
export function boardOnce(projectId: number): Promise<BoardOut> {
  const request = early.get(projectId);
  early.delete(projectId);
  return request ?? loadBoard(projectId);
}
