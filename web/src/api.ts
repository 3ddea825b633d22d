// The API through a client generated from the server's OpenAPI document (openapi.d.ts), so a
// path, a parameter or a body the document does not state fails `tsc`. Here: the session
// token, problem+json errors as ApiError, ETags and idempotency keys.

import createClient, { type Middleware } from "openapi-fetch";

import type { paths } from "./openapi";

const TOKEN_KEY = "laneway.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly body: unknown = null,
  ) {
    super(detail || title);
  }
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value === null) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, value);
}

/** Called when the server says the session is over (401). */
export const session = { expired: () => {} };

const signedIn: Middleware = {
  onRequest({ request }) {
    const current = token();
    if (current) request.headers.set("Authorization", `Bearer ${current}`);
  },
  onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has("Authorization")) session.expired();
  },
};

/** Every call the web app makes; pass its promise to `ok`. */
export const api = createClient<paths>({ headers: { Accept: "application/json" } });
api.use(signedIn);

/** What the client's calls resolve to: the answer's body, or the problem the server gave. */
type Answer<T> = { data: T; response: Response } | { data?: never; error: unknown; response: Response };

/** The answer's body; an ApiError for a problem, or when the server cannot be reached. */
export async function ok<T>(request: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch {
    throw new ApiError(0, "Offline", "The server cannot be reached; try again in a moment.");
  }
  if ("error" in answer) {
    const { response } = answer;
    const body = answer.error === "" ? null : (answer.error ?? null);
    const problem = (typeof body === "object" ? (body ?? {}) : {}) as { title?: string; detail?: string };
    throw new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? "", body);
  }
  return answer.data;
}

export function etagOf(version: number): string {
  return `"v${version}"`;
}

/** A retried create with the same key replays the first answer instead of creating a second
 * object. crypto.randomUUID needs a secure context; a board served over plain http on a LAN
 * is not one. */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A body with a file in it, as multipart/form-data (the browser writes its boundary). */
export function formData(body: Record<string, Blob>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) form.append(name, value);
  return form;
}
