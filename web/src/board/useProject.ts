// What the board and the list share: the project's record and members, and, once the page has
// loaded, the project's live stream with who else is viewing.

import { type MutableRef, useEffect, useRef, useState } from "preact/hooks";

import { api, ok } from "../api";
import { Live, type LiveStatus } from "../live";
import type { LiveEvent, Member, Project } from "../types";

export interface ProjectPage {
  /** Where to resume from: the last event the page has folded in. */
  after(): number;
  event(event: LiveEvent): void;
  /** The stream fell too far behind: load everything again (the stream resumes after). */
  reload(): Promise<void>;
  denied(reason: string): void;
  live?(): void;
  members?(members: Member[]): void;
}

export interface ProjectLive {
  project: Project | null;
  members: Member[];
  viewers: number[];
  liveStatus: LiveStatus;
  lastEvent: LiveEvent | null;
  /** What the stream brought lately: a load in flight folds these into what it loaded. */
  recent: MutableRef<LiveEvent[]>;
}

export function useProject(projectId: number, title: string, ready: boolean, page: ProjectPage): ProjectLive {
  const [project, setProject] = useState<Project | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [viewers, setViewers] = useState<number[]>([]);
  const [liveStatus, setLiveStatus] = useState<LiveStatus>("connecting");
  const [lastEvent, setLastEvent] = useState<LiveEvent | null>(null);
  const recent = useRef<LiveEvent[]>([]);
  // the stream outlives renders: it calls the page's latest handlers, not the first ones
  const handlers = useRef(page);
  handlers.current = page;

  const refreshMembers = () =>
    ok(api.GET("/api/v1/projects/{project_id}/members", { params: { path: { project_id: projectId } } })).then((list) => {
      setMembers(list);
      handlers.current.members?.(list);
    }, () => undefined);

  useEffect(() => {
    ok(api.GET("/api/v1/projects/{project_id}", { params: { path: { project_id: projectId } } }))
      .then((p) => {
        setProject(p);
        document.title = `${p.name}${title ? ` · ${title}` : ""} · Laneway`;
      })
      .catch(() => undefined);
    void refreshMembers();
  }, [projectId]);

  useEffect(() => {
    if (!ready) return;
    const live = new Live(projectId, {
      after: () => handlers.current.after(),
      event: (event) => {
        recent.current.push(event);
        if (recent.current.length > 2000) recent.current.splice(0, 1000);
        handlers.current.event(event);
        setLastEvent(event);
        if (event.type.startsWith("member.")) void refreshMembers();
      },
      presence: setViewers,
      status: (status) => {
        if (status === "live") handlers.current.live?.();
        setLiveStatus(status);
      },
      reload: () => {
        recent.current = [];
        void handlers.current.reload().then(() => live.start());
      },
      denied: (reason) => handlers.current.denied(reason || "You no longer have access to this project."),
    });
    live.start();
    return () => live.stop();
  }, [ready, projectId]);

  return { project, members, viewers, liveStatus, lastEvent, recent };
}
