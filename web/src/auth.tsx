import { useState } from "preact/hooks";

import { ApiError, api, ok, setToken } from "./api";
import { onLink } from "./route";
import type { User } from "./types";

export function Auth(props: { mode: "login" | "register"; onSignedIn(user: User): void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const register = props.mode === "register";

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    setBusy(true);
    setError(null);
    try {
      if (register) {
        await ok(api.POST("/api/v1/auth/register", { body: { email, password, name: String(form.get("name")) } }));
      }
      const login = await ok(api.POST("/api/v1/auth/login", { body: { email, password } }));
      setToken(login.token);
      props.onSignedIn(await ok(api.GET("/api/v1/me")));
    } catch (caught) {
      setError(caught instanceof ApiError ? describe(caught) : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth">
      <form class="card auth-card" onSubmit={submit}>
        <h1>Laneway</h1>
        <p class="muted">{register ? "Create your account" : "Sign in to your boards"}</p>
        {register && (
          <label>
            Name
            <input name="name" required maxLength={100} autoComplete="name" />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" required autoComplete="email" />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            minLength={register ? 8 : 1}
            autoComplete={register ? "new-password" : "current-password"}
          />
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {register ? "Create account" : "Sign in"}
        </button>
        <p class="muted">
          {register ? (
            <a href="/login" onClick={onLink}>Have an account? Sign in</a>
          ) : (
            <a href="/register" onClick={onLink}>New here? Create an account</a>
          )}
        </p>
      </form>
    </main>
  );
}

/** A problem response as one sentence, with the first field error if there is one. */
export function describe(error: ApiError): string {
  const body = error.body as { errors?: { loc?: unknown[]; msg?: string }[] } | null;
  const first = body?.errors?.[0];
  if (first?.msg) {
    const field = first.loc?.[first.loc.length - 1];
    return field ? `${String(field)}: ${first.msg}` : first.msg;
  }
  return error.detail || error.title;
}

export function message(error: unknown): string {
  return error instanceof ApiError ? describe(error) : String(error);
}
