// A textarea that completes @usernames of the project's members as they are typed.

import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";

import { type Candidate, insert, matches, typed } from "./complete";

type TextareaProps = Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, "onInput" | "value">;

export function MentionBox(
  props: TextareaProps & {
    people: Candidate[];
    value?: string;
    onValue?: (text: string) => void;
  },
) {
  const { people, value, onValue, ...rest } = props;
  const area = useRef<HTMLTextAreaElement>(null);
  const [open, setOpen] = useState<{ start: number; found: Candidate[] } | null>(null);
  const [active, setActive] = useState(0);

  const look = () => {
    const el = area.current!;
    const at = typed(el.value, el.selectionStart ?? el.value.length);
    const found = at ? matches(people, at.fragment) : [];
    setOpen(at && found.length ? { start: at.start, found } : null);
    setActive(0);
  };

  const choose = (who: Candidate) => {
    const el = area.current!;
    const next = insert(el.value, open!.start, el.selectionStart ?? el.value.length, who.username);
    el.value = next.text;
    el.setSelectionRange(next.caret, next.caret);
    onValue?.(next.text);
    setOpen(null);
    el.focus();
  };

  return (
    <div class="mention-box">
      <textarea
        {...rest}
        ref={area}
        value={value}
        aria-autocomplete="list"
        aria-expanded={open !== null}
        onInput={(e) => {
          onValue?.(e.currentTarget.value);
          look();
        }}
        onKeyDown={(e) => {
          if (!open) return;
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            const step = e.key === "ArrowDown" ? 1 : -1;
            setActive((i) => (i + step + open.found.length) % open.found.length);
          } else if (e.key === "Enter" || e.key === "Tab") {
            e.preventDefault();
            choose(open.found[active]);
          } else if (e.key === "Escape") {
            e.stopPropagation(); // closes the list, not the drawer
            setOpen(null);
          }
        }}
        onBlur={() => setTimeout(() => setOpen(null), 150)}
      />
      {open && (
        <ul class="mention-list" role="listbox" aria-label="Mention someone">
          {open.found.map((who, i) => (
            <li
              key={who.username}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault(); // keep the textarea's focus and caret
                choose(who);
              }}
            >
              <strong>@{who.username}</strong> <span class="muted">{who.name}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
