// The project's live stream: every committed event in order, resumed after any disconnect
// from the last event seen, so a dropped connection or a restarted server loses nothing.

import { ApiError, api, ok } from "./api";
import type { LiveEvent, LiveMessage } from "./types";

export type LiveStatus = "connecting" | "live" | "offline";

export interface LiveHandlers {
  /** Where to resume from: the last event the board has folded in. */
  after(): number;
  event(event: LiveEvent): void;
  presence(viewers: number[]): void;
  status(status: LiveStatus): void;
  /** Too far behind to catch up by events: load the board again, then follow. */
  reload(): void;
  /** The session ended or access was taken away. */
  denied(reason: string): void;
}

// Close codes the server uses (see realtime/hub.py)
const REVOKED = 4001;
const REMOVED = 4003;
const RELOAD = 4009;

export class Live {
  private socket: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The last event passed on; the stream from the server has no gaps, so one means a
   * message was lost on the way: reconnect from here and the log fills it in. */
  private last = 0;

  constructor(
    private readonly projectId: number,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, "left the board");
    this.socket = null;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.handlers.status("connecting");
    let ticket: string;
    try {
      const path = { project_id: this.projectId };
      ticket = (await ok(api.POST("/api/v1/projects/{project_id}/live/ticket", { params: { path } }))).ticket;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
        this.handlers.denied(error.detail);
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.last = this.handlers.after();
    const query = new URLSearchParams({ ticket, after: String(this.last) });
    const socket = new WebSocket(
      `${scheme}://${location.host}/api/v1/projects/${this.projectId}/live?${query}`,
    );
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.handlers.status("live");
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data as string) as LiveMessage;
      if (data.type === "presence") {
        this.handlers.presence(data.viewers);
        return;
      }
      // a reload is acted on at the close that follows it; a kind this build does not know, never
      if (data.type === "reload" || typeof data.seq !== "number") return;
      if (data.seq <= this.last) return;
      if (data.seq > this.last + 1) {
        this.socket = null;
        socket.close(1000, "gap in the stream");
        void this.connect();
        return;
      }
      this.last = data.seq;
      this.handlers.event(data);
    };
    socket.onclose = (close) => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      if (close.code === REVOKED || close.code === REMOVED) {
        this.handlers.denied(close.reason);
      } else if (close.code === RELOAD) {
        this.handlers.reload();
      } else {
        this.retry();
      }
    };
  }

  private retry(): void {
    this.handlers.status("offline");
    // 0.25 s, 0.5 s, 1 s … up to 5 s, with jitter so a restarted server is not stampeded
    const delay = Math.min(5000, 250 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt += 1;
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
