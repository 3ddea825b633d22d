// The API over fetch: the session token, problem+json errors, ETags.

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

export interface Sent<T> {
  body: T;
  etag: string | null;
}

export async function send<T>(
  method: string,
  path: string,
  options: { body?: unknown; ifMatch?: string; idempotent?: boolean } = {},
): Promise<Sent<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.ifMatch) headers["If-Match"] = options.ifMatch;
  // a retried create replays the first answer instead of creating a second object
  if (options.idempotent) headers["Idempotency-Key"] = randomKey();
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, "Offline", "The server cannot be reached; try again in a moment.");
  }
  if (response.status === 204) return { body: undefined as T, etag: null };
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    if (response.status === 401 && current) session.expired();
    const problem = (body ?? {}) as { title?: string; detail?: string };
    throw new ApiError(
      response.status,
      problem.title ?? response.statusText,
      problem.detail ?? "",
      body,
    );
  }
  return { body: body as T, etag: response.headers.get("ETag") };
}

export const get = async <T>(path: string): Promise<T> => (await send<T>("GET", path)).body;

export function etagOf(version: number): string {
  return `"v${version}"`;
}

/** crypto.randomUUID needs a secure context; a board served over plain http on a LAN is not. */
function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A file as multipart/form-data (field `file`); the answer's JSON. */
export async function upload<T>(path: string, file: File): Promise<T> {
  const form = new FormData();
  form.append("file", file, file.name);
  const current = token();
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method: "POST",
      headers: current ? { Authorization: `Bearer ${current}`, Accept: "application/json" } : {},
      body: form,
    });
  } catch {
    throw new ApiError(0, "Offline", "The server cannot be reached; try again in a moment.");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && current) session.expired();
    const problem = (body ?? {}) as { title?: string; detail?: string };
    throw new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? "", body);
  }
  return body as T;
}

/** The bytes behind an authenticated URL (a download, a preview), as a Blob. */
export async function fetchBlob(url: string): Promise<Blob> {
  const current = token();
  const response = await fetch(url, { headers: current ? { Authorization: `Bearer ${current}` } : {} });
  if (!response.ok) throw new ApiError(response.status, response.statusText, "");
  return response.blob();
}
