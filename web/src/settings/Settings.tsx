// Project settings, loaded on first visit: members and roles, workflow statuses.

import { useEffect, useState } from "preact/hooks";

import { api, idempotencyKey, ok } from "../api";
import { message } from "../auth";
import { onLink } from "../route";
import type { components } from "../openapi";
import type { Label, Member, Project, Status, User } from "../types";
import { Avatar, Notice } from "../ui";

type Schemas = components["schemas"];

const ROLES: Member["role"][] = ["owner", "admin", "member", "viewer"];
const CATEGORIES: Status["category"][] = ["unstarted", "started", "review", "blocked", "done"];

/** The choice a form's <select> made among `options` (it offers nothing else). */
function chosen<T extends string>(options: T[], value: FormDataEntryValue | null, fallback: T): T {
  return options.find((option) => option === value) ?? fallback;
}

export function Settings({ projectId, me }: { projectId: number; me: User }) {
  const [project, setProject] = useState<Project | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [statuses, setStatuses] = useState<Status[]>([]);
  const [labels, setLabels] = useState<Label[]>([]);
  const [error, setError] = useState<string | null>(null);

  const reload = async () => {
    try {
      const params = { path: { project_id: projectId } };
      const [p, m, s, l] = await Promise.all([
        ok(api.GET("/api/v1/projects/{project_id}", { params })),
        ok(api.GET("/api/v1/projects/{project_id}/members", { params })),
        ok(api.GET("/api/v1/projects/{project_id}/statuses", { params })),
        ok(api.GET("/api/v1/projects/{project_id}/labels", { params })),
      ]);
      setProject(p);
      setMembers(m);
      setStatuses(s);
      setLabels(l);
      document.title = `Settings · ${p.name} · Laneway`;
    } catch (e) {
      setError(message(e));
    }
  };
  useEffect(() => void reload(), [projectId]);

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(message(e));
    }
    await reload();
  };
  /** A form that adds one thing to the project: send its fields, then clear it. */
  const create = (send: (data: FormData) => Promise<unknown>) => (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    void act(async () => {
      await send(data);
      form.reset();
    });
  };
  const once = () => ({ path: { project_id: projectId }, header: { "Idempotency-Key": idempotencyKey() } });
  const patchProject = (body: Schemas["ProjectUpdateIn"]) =>
    act(() => ok(api.PATCH("/api/v1/projects/{project_id}", { params: { path: { project_id: projectId } }, body })));
  const canEdit = project !== null && project.role !== "viewer";
  const manage = project !== null && (project.role === "owner" || project.role === "admin");

  return (
    <main class="page settings">
      <a href={`/p/${projectId}`} onClick={onLink}>
        ← Back to the board
      </a>
      <h1>{project ? `${project.name} settings` : "Settings"}</h1>
      {error && (
        <Notice tone="error" onClose={() => setError(null)}>
          {error}
        </Notice>
      )}

      {project && (
        <section class="card settings-section project-settings" aria-label="Project">
          <h2>Project</h2>
          <label>
            Name
            <input
              value={project.name}
              disabled={!manage}
              maxLength={200}
              onChange={(e) => void patchProject({ name: e.currentTarget.value.trim() })}
            />
          </label>
          <label>
            Description
            <textarea
              rows={2}
              value={project.description}
              disabled={!manage}
              maxLength={20000}
              onChange={(e) => void patchProject({ description: e.currentTarget.value })}
            />
          </label>
          {project.role === "owner" && (
            <p class="button-row">
              {project.archived_at === null ? (
                <button
                  type="button"
                  onClick={() =>
                    confirm(`Archive ${project.name}? Its board becomes read-only until restored.`) &&
                    void patchProject({ archived: true })
                  }
                >
                  Archive project
                </button>
              ) : (
                <button type="button" onClick={() => void patchProject({ archived: false })}>
                  Restore project
                </button>
              )}
            </p>
          )}
        </section>
      )}

      <section class="card settings-section" aria-label="Members">
        <h2>Members</h2>
        <table class="table">
          <tbody>
            {members.map((m) => (
              <tr key={m.user_id}>
                <td>
                  <Avatar id={m.user_id} name={m.name} size="sm" /> {m.name}
                </td>
                <td class="muted">{m.email}</td>
                <td>
                  <select
                    aria-label={`Role of ${m.name}`}
                    value={m.role}
                    disabled={!manage}
                    onChange={(e) =>
                      void act(() =>
                        ok(
                          api.PATCH("/api/v1/projects/{project_id}/members/{user_id}", {
                            params: { path: { project_id: projectId, user_id: m.user_id } },
                            body: { role: chosen(ROLES, e.currentTarget.value, m.role) },
                          }),
                        ),
                      )
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {(manage || m.user_id === me.id) && (
                    <button
                      type="button"
                      class="link-button"
                      onClick={() =>
                        void act(() =>
                          ok(
                            api.DELETE("/api/v1/projects/{project_id}/members/{user_id}", {
                              params: { path: { project_id: projectId, user_id: m.user_id } },
                            }),
                          ),
                        )
                      }
                    >
                      {m.user_id === me.id ? "Leave" : "Remove"}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {manage && (
          <form
            class="inline-form"
            onSubmit={create((data) =>
              ok(
                api.POST("/api/v1/projects/{project_id}/members", {
                  params: once(),
                  body: { email: String(data.get("email")).trim(), role: chosen(ROLES, data.get("role"), "member") },
                }),
              ),
            )}
          >
            <input name="email" type="email" required placeholder="teammate@example.com" aria-label="Email to invite" />
            <select name="role" aria-label="Role">
              {ROLES.filter((r) => r !== "owner" || project?.role === "owner").map((r) => (
                <option key={r} value={r} selected={r === "member"}>
                  {r}
                </option>
              ))}
            </select>
            <button type="submit" class="primary">
              Add member
            </button>
          </form>
        )}
      </section>

      <section class="card settings-section" aria-label="Statuses">
        <h2>Statuses</h2>
        <table class="table">
          <tbody>
            {statuses.map((s, i) => (
              <StatusRow
                key={s.id}
                status={s}
                others={statuses.filter((o) => o.id !== s.id)}
                first={i === 0}
                last={i === statuses.length - 1}
                manage={manage}
                act={act}
              />
            ))}
          </tbody>
        </table>
        {manage && (
          <form
            class="inline-form"
            onSubmit={create((data) =>
              ok(
                api.POST("/api/v1/projects/{project_id}/statuses", {
                  params: once(),
                  body: {
                    name: String(data.get("name")).trim(),
                    category: chosen(CATEGORIES, data.get("category"), "started"),
                  },
                }),
              ),
            )}
          >
            <input name="name" required maxLength={50} placeholder="New status" aria-label="New status name" />
            <select name="category" aria-label="Category">
              {CATEGORIES.map((c) => (
                <option key={c} value={c} selected={c === "started"}>
                  {c}
                </option>
              ))}
            </select>
            <button type="submit" class="primary">
              Add status
            </button>
          </form>
        )}
      </section>

      <section class="card settings-section" aria-label="Labels">
        <h2>Labels</h2>
        <table class="table">
          <tbody>
            {labels.length === 0 && (
              <tr>
                <td class="muted">No labels yet.</td>
              </tr>
            )}
            {labels.map((l) => (
              <LabelRow key={l.id} label={l} canEdit={canEdit} manage={manage} act={act} />
            ))}
          </tbody>
        </table>
        {canEdit && (
          <form
            class="inline-form"
            onSubmit={create((data) =>
              ok(
                api.POST("/api/v1/projects/{project_id}/labels", {
                  params: once(),
                  body: { name: String(data.get("name")).trim(), color: String(data.get("color")) },
                }),
              ),
            )}
          >
            <input name="name" required maxLength={60} placeholder="New label" aria-label="New label name" />
            <input name="color" type="color" defaultValue="#4f6bed" aria-label="Label colour" />
            <button type="submit" class="primary">
              Add label
            </button>
          </form>
        )}
      </section>
    </main>
  );
}

function StatusRow(props: {
  status: Status;
  others: Status[];
  first: boolean;
  last: boolean;
  manage: boolean;
  act(work: () => Promise<unknown>): Promise<void>;
}) {
  const { status, act } = props;
  const path = { project_id: status.project_id, status_id: status.id };
  const patch = (body: Schemas["StatusUpdateIn"]) =>
    act(() => ok(api.PATCH("/api/v1/projects/{project_id}/statuses/{status_id}", { params: { path }, body })));
  return (
    <tr>
      <td>
        <input
          aria-label={`Name of ${status.name}`}
          value={status.name}
          disabled={!props.manage}
          maxLength={50}
          onChange={(e) => void patch({ name: e.currentTarget.value.trim() })}
        />
      </td>
      <td class="muted">
        {status.category} · {status.count} tasks
      </td>
      <td>
        <input
          type="number"
          min={1}
          class="wip-input"
          aria-label={`WIP limit of ${status.name}`}
          placeholder="WIP"
          value={status.wip_limit ?? ""}
          disabled={!props.manage}
          onChange={(e) => {
            const v = e.currentTarget.value;
            void patch(v ? { wip_limit: Number(v) } : { clear_wip_limit: true });
          }}
        />
      </td>
      <td class="button-row">
        {props.manage && (
          <>
            <button type="button" class="icon-button" aria-label={`Move ${status.name} earlier`} disabled={props.first} onClick={() => void patch({ position: status.position - 1 })}>
              ↑
            </button>
            <button type="button" class="icon-button" aria-label={`Move ${status.name} later`} disabled={props.last} onClick={() => void patch({ position: status.position + 1 })}>
              ↓
            </button>
            <button
              type="button"
              class="link-button"
              onClick={() => {
                const target = props.others[0];
                if (status.count > 0 && !target) return;
                const query = status.count > 0 ? { move_to: target.id } : {};
                const note = status.count > 0 ? ` Its ${status.count} tasks move to ${target.name}.` : "";
                if (confirm(`Delete ${status.name}?${note}`)) {
                  void act(() =>
                    ok(api.DELETE("/api/v1/projects/{project_id}/statuses/{status_id}", { params: { path, query } })),
                  );
                }
              }}
            >
              Delete
            </button>
          </>
        )}
      </td>
    </tr>
  );
}

function LabelRow(props: {
  label: Label;
  canEdit: boolean;
  manage: boolean;
  act(work: () => Promise<unknown>): Promise<void>;
}) {
  const { label, act } = props;
  const path = { project_id: label.project_id, label_id: label.id };
  const patch = (body: Schemas["LabelUpdateIn"]) =>
    act(() => ok(api.PATCH("/api/v1/projects/{project_id}/labels/{label_id}", { params: { path }, body })));
  return (
    <tr>
      <td>
        <span class="label-chip" style={{ "--label": label.color }}>
          {label.name}
        </span>
      </td>
      <td>
        <input
          aria-label={`Name of label ${label.name}`}
          value={label.name}
          disabled={!props.canEdit}
          maxLength={60}
          onChange={(e) => void patch({ name: e.currentTarget.value.trim() })}
        />
      </td>
      <td>
        <input
          type="color"
          aria-label={`Colour of label ${label.name}`}
          value={label.color}
          disabled={!props.canEdit}
          onChange={(e) => void patch({ color: e.currentTarget.value })}
        />
      </td>
      <td>
        {props.manage && (
          <button
            type="button"
            class="link-button"
            onClick={() => {
              if (confirm(`Delete the label ${label.name}? Tasks that have it lose it.`)) {
                void act(() => ok(api.DELETE("/api/v1/projects/{project_id}/labels/{label_id}", { params: { path } })));
              }
            }}
          >
            Delete
          </button>
        )}
      </td>
    </tr>
  );
}
