// A request started with the page, beside /me, instead of after it; used once by its screen.

import { get } from "./api";

const early = new Map<string, Promise<unknown>>();

export function prefetch(path: string): void {
  const request = get(path);
  request.catch(() => undefined); // its screen sees the failure; nobody else should
  early.set(path, request);
}

/** The prefetched answer for `path`, if there is one; or a fresh request. */
export function getOnce<T>(path: string): Promise<T> {
  const request = early.get(path);
  early.delete(path);
  return (request as Promise<T> | undefined) ?? get<T>(path);
}
