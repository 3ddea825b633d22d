import { describe, expect, it } from "vitest";

import { ApiError, ok } from "./api";

const answer = (status: number) => new Response(null, { status, statusText: `Status ${status}` });

async function failure(request: Promise<{ error: unknown; response: Response }>): Promise<ApiError> {
  const caught = await ok(request).catch((error: unknown) => error);
  if (!(caught instanceof ApiError)) throw caught;
  return caught;
}

describe("ok", () => {
  it("gives the answer's body", async () => {
    expect(await ok(Promise.resolve({ data: { id: 1 }, response: answer(200) }))).toEqual({ id: 1 });
  });

  it("turns a problem+json answer into an ApiError with its title and detail", async () => {
    const problem = { title: "Conflict", detail: "The task changed.", status: 409 };
    const error = await failure(Promise.resolve({ error: problem, response: answer(409) }));
    expect([error.status, error.title, error.detail, error.body]).toEqual([409, "Conflict", "The task changed.", problem]);
    expect(error.message).toBe("The task changed.");
  });

  it("names the status when the answer has no problem in it", async () => {
    const error = await failure(Promise.resolve({ error: "", response: answer(502) }));
    expect([error.status, error.title, error.detail, error.body]).toEqual([502, "Status 502", "", null]);
  });

  it("says the server cannot be reached when the request itself fails", async () => {
    const error = await failure(Promise.reject(new TypeError("Failed to fetch")));
    expect([error.status, error.title]).toEqual([0, "Offline"]);
  });
});
