import { useEffect, useState } from "preact/hooks";

import { describe } from "./auth";
import { ApiError, api, idempotencyKey, ok } from "./api";
import { navigate, onLink } from "./route";
import type { Project } from "./types";
import { Notice } from "./ui";

export function Projects() {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = "Projects · Laneway";
    ok(api.GET("/api/v1/projects"))
      .then(setProjects)
      .catch((e) => setError(e instanceof ApiError ? describe(e) : String(e)));
  }, []);

  const create = async (event: Event) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const key = String(form.get("key") ?? "").trim();
    setBusy(true);
    setError(null);
    try {
      const body = { name: String(form.get("name")).trim(), ...(key ? { key } : {}) };
      const header = { "Idempotency-Key": idempotencyKey() };
      const created = await ok(api.POST("/api/v1/projects", { params: { header }, body }));
      formElement.reset();
      navigate(`/p/${created.id}`);
    } catch (e) {
      setError(e instanceof ApiError ? describe(e) : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page">
      <h1>Projects</h1>
      {error && (
        <Notice tone="error" onClose={() => setError(null)}>
          {error}
        </Notice>
      )}
      <form class="inline-form" onSubmit={create} aria-label="New project">
        <input name="name" placeholder="New project name" required maxLength={100} aria-label="Project name" />
        <input name="key" placeholder="KEY" maxLength={10} class="key-input" aria-label="Project key (optional)" />
        <button type="submit" class="primary" disabled={busy}>
          Create project
        </button>
      </form>
      {projects === null ? (
        <p class="muted">Loading…</p>
      ) : projects.length === 0 ? (
        <p class="muted">No projects yet: create the first one above.</p>
      ) : (
        <ul class="project-list">
          {projects.map((p) => (
            <li key={p.id}>
              <a class="card project-card" href={`/p/${p.id}`} onClick={onLink}>
                <span class="project-key">{p.key}</span>
                <strong>{p.name}</strong>
                <span class="muted">{p.description || p.role}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
