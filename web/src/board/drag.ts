// Drag and drop of cards, loaded on first use. Hand-written rather than SortableJS: columns are
// virtualized (only visible cards exist in the DOM), so the drop slot comes from the pointer's
// position and the row height, not from sibling elements; and Preact keeps owning its DOM.

export interface DragOptions {
  rowHeight: number;
  onDrop(statusId: number, index: number): void;
}

export function startDrag(
  card: HTMLElement,
  event: PointerEvent,
  origin: { x: number; y: number },
  options: DragOptions,
): void {
  const rect = card.getBoundingClientRect();
  const grab = { x: origin.x - rect.left, y: origin.y - rect.top };
  const ghost = card.cloneNode(true) as HTMLElement;
  ghost.classList.add("drag-ghost");
  ghost.style.width = `${rect.width}px`;
  ghost.style.transform = "none";
  document.body.append(ghost);
  card.classList.add("drag-source");
  document.body.classList.add("dragging");
  const marker = document.createElement("div");
  marker.className = "drop-marker";
  let target: { statusId: number; index: number } | null = null;
  let pointer = { x: event.clientX, y: event.clientY };
  let frame = 0;

  const locate = () => {
    const { x, y } = pointer;
    ghost.style.left = `${x - grab.x}px`;
    ghost.style.top = `${y - grab.y}px`;
    const column = document
      .elementsFromPoint(x, y)
      .map((el) => el.closest<HTMLElement>("[data-status-id]"))
      .find((el) => el !== null);
    const body = column?.querySelector<HTMLElement>(".column-body");
    if (!column || !body) {
      marker.remove();
      target = null;
      return;
    }
    const box = body.getBoundingClientRect();
    // the slot is where the middle of the dragged card is
    const middle = y - grab.y + rect.height / 2 - box.top + body.scrollTop;
    const count = Number(column.dataset.count ?? 0);
    const index = Math.max(0, Math.min(count, Math.round(middle / options.rowHeight)));
    target = { statusId: Number(column.dataset.statusId), index };
    marker.style.transform = `translateY(${index * options.rowHeight - 5}px)`;
    body.firstElementChild?.append(marker);
    // near an edge, scroll the column so a drop can reach any loaded card
    const edge = 48;
    if (y < box.top + edge) body.scrollTop -= 12;
    else if (y > box.bottom - edge) body.scrollTop += 12;
  };

  const tick = () => {
    locate();
    frame = requestAnimationFrame(tick);
  };

  const finish = (drop: boolean) => {
    cancelAnimationFrame(frame);
    removeEventListener("pointermove", onMove);
    removeEventListener("pointerup", onUp);
    removeEventListener("pointercancel", onCancel);
    removeEventListener("keydown", onKey);
    ghost.remove();
    marker.remove();
    card.classList.remove("drag-source");
    document.body.classList.remove("dragging");
    // the click that ends a drag must not open the card
    const swallow = (e: Event) => e.stopPropagation();
    addEventListener("click", swallow, { capture: true, once: true });
    setTimeout(() => removeEventListener("click", swallow, { capture: true }), 0);
    if (drop && target) options.onDrop(target.statusId, target.index);
  };
  const onMove = (e: PointerEvent) => {
    pointer = { x: e.clientX, y: e.clientY };
  };
  const onUp = (e: PointerEvent) => {
    pointer = { x: e.clientX, y: e.clientY };
    locate();
    finish(true);
  };
  const onCancel = () => finish(false);
  const onKey = (e: KeyboardEvent) => e.key === "Escape" && finish(false);

  addEventListener("pointermove", onMove);
  addEventListener("pointerup", onUp);
  addEventListener("pointercancel", onCancel);
  addEventListener("keydown", onKey);
  tick();
}
