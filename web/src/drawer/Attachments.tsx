// A task's files: listed with image previews, downloaded, and added by choosing a file or
// dropping one anywhere on the open drawer. Files are fetched with the token (no cookie
// exists to authorize a plain link) and handed to the browser as blobs.

import { useEffect, useState } from "preact/hooks";

import { api, formData, ok } from "../api";
import { message } from "../auth";
import type { Attachment, LiveEvent } from "../types";

/** The file (`inline`: as shown in a preview) as a Blob. */
function fileOf(attachmentId: number, inline: boolean): Promise<Blob> {
  return ok(
    api.GET("/api/v1/attachments/{attachment_id}", {
      params: { path: { attachment_id: attachmentId }, query: inline ? { inline } : {} },
      parseAs: "blob",
    }),
  );
}

export function Attachments(props: {
  taskId: number;
  canWrite: boolean;
  lastEvent: LiveEvent | null;
  onError(text: string): void;
}) {
  const { taskId } = props;
  const [items, setItems] = useState<Attachment[]>([]);
  const [busy, setBusy] = useState(0);
  const [dragging, setDragging] = useState(false);

  const load = () =>
    ok(
      api.GET("/api/v1/tasks/{task_id}/attachments", { params: { path: { task_id: taskId }, query: { limit: 100 } } }),
    ).then(
      (page) => setItems(page.items),
      () => undefined,
    );

  useEffect(() => void load(), [taskId]);
  useEffect(() => {
    const event = props.lastEvent;
    if (event?.task_id === taskId && event.type.startsWith("attachment.")) void load();
  }, [props.lastEvent]);

  const add = async (files: Iterable<File>) => {
    for (const file of files) {
      setBusy((n) => n + 1);
      try {
        await ok(
          api.POST("/api/v1/tasks/{task_id}/attachments", {
            params: { path: { task_id: taskId } },
            body: { file },
            bodySerializer: formData,
          }),
        );
      } catch (e) {
        props.onError(`${file.name}: ${message(e)}`);
      } finally {
        setBusy((n) => n - 1);
      }
    }
    void load();
  };

  // dropped anywhere on the open drawer
  useEffect(() => {
    if (!props.canWrite) return;
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes("Files")) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => e.relatedTarget === null && setDragging(false);
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer?.files.length) return;
      e.preventDefault();
      setDragging(false);
      void add([...e.dataTransfer.files]);
    };
    document.addEventListener("dragover", over);
    document.addEventListener("dragleave", leave);
    document.addEventListener("drop", drop);
    return () => {
      document.removeEventListener("dragover", over);
      document.removeEventListener("dragleave", leave);
      document.removeEventListener("drop", drop);
    };
  }, [taskId, props.canWrite]);

  const save = async (item: Attachment) => {
    try {
      const url = URL.createObjectURL(await fileOf(item.id, false));
      const link = document.createElement("a");
      link.href = url;
      link.download = item.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      props.onError(message(e));
    }
  };

  const remove = async (item: Attachment) => {
    if (!confirm(`Delete ${item.name}?`)) return;
    try {
      await ok(api.DELETE("/api/v1/attachments/{attachment_id}", { params: { path: { attachment_id: item.id } } }));
      void load();
    } catch (e) {
      props.onError(message(e));
    }
  };

  return (
    <section class={`drawer-section attachments ${dragging ? "dropping" : ""}`} aria-label="Attachments">
      <h3>Files</h3>
      <ul class="plain-list attachment-list">
        {items.map((item) => (
          <li key={item.id} class="attachment">
            {item.preview && <Preview attachmentId={item.id} name={item.name} />}
            <button type="button" class="link-button" onClick={() => void save(item)}>
              {item.name}
            </button>
            <span class="muted"> · {size(item.size)}</span>
            {props.canWrite && (
              <button
                type="button"
                class="link-button danger"
                aria-label={`Delete ${item.name}`}
                onClick={() => void remove(item)}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {props.canWrite && (
        <label class="file-pick">
          {busy > 0 ? "Uploading…" : "Attach a file (or drop one here)"}
          <input
            type="file"
            multiple
            aria-label="Attach a file"
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])];
              e.currentTarget.value = "";
              void add(files);
            }}
          />
        </label>
      )}
    </section>
  );
}

function Preview({ attachmentId, name }: { attachmentId: number; name: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let made: string | null = null;
    fileOf(attachmentId, true).then(
      (blob) => setSrc((made = URL.createObjectURL(blob))),
      () => undefined,
    );
    return () => {
      if (made) URL.revokeObjectURL(made);
    };
  }, [attachmentId]);
  return src ? <img class="attachment-preview" src={src} alt={name} /> : null;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
