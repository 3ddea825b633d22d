// Markdown to safe HTML for descriptions and comments, in a chunk loaded with the drawer.
// CommonMark (markdown-it, raw HTML off) with task lists, then DOMPurify over the result:
// the sanitizer runs even though markdown-it emits no raw HTML, so a renderer bug or plugin
// can never put a script, an event handler or a javascript:/data: URL on the page.

import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt("commonmark", { html: false, linkify: false, breaks: true });

const TASK = /^\[([ xX])\]\s+/;

// `- [ ] item` and `- [x] item`: a checkbox named by the source line its item starts on, so a
// click ticks that line's marker (toggleTask in tasklist.ts).
md.core.ruler.after("inline", "task-lists", (state) => {
  const tokens = state.tokens;
  for (let i = 2; i < tokens.length; i++) {
    const inline = tokens[i];
    if (inline.type !== "inline" || tokens[i - 1].type !== "paragraph_open") continue;
    if (tokens[i - 2].type !== "list_item_open") continue;
    const first = inline.children?.[0];
    const match = first && first.type === "text" ? TASK.exec(first.content) : null;
    const line = tokens[i - 2].map?.[0];
    if (!first || !match || line === undefined) continue;
    first.content = first.content.slice(match[0].length);
    const box = new state.Token("html_inline", "", 0);
    const checked = match[1] !== " " ? " checked" : "";
    box.content = `<input type="checkbox" class="task-box" data-task-line="${line}"${checked}> `;
    inline.children!.unshift(box);
    tokens[i - 2].attrJoin("class", "task-item");
  }
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("rel", "noopener noreferrer");
    node.setAttribute("target", "_blank");
  }
});

const ALLOWED = {
  ALLOWED_TAGS: [
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "input",
  ],
  // no images: a remote one would tell its host who reads the task, and when
  ALLOWED_ATTR: ["href", "title", "type", "checked", "class", "data-task-line", "start"],
};

export function renderMarkdown(text: string): string {
  const html = md.render(text);
  return DOMPurify.sanitize(html, ALLOWED) as unknown as string;
}
