"""One person's digest as an email. It leads with what is direct (mentions of them, then
tasks assigned to them, each newest first), then the latest few other lines, then counts of
everything else waiting (by kind and by project, with a link to the inbox), including any
backlog from before email was turned on; a plain-text part and an HTML part rendered from
markdown, and the unsubscribe link."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from html import escape as html_escape

from laneway.mail import markdown
from laneway.mail.quoting import one_line, quoted
from laneway.models import NotificationKind

SUBJECT = 150  # characters of a subject made from a task's title
PROJECTS_NAMED = 10  # in the counts by project; the others are summed

# how the counts name each kind (plural, as in "12 comments")
KIND_NAMES = {
    NotificationKind.mentioned: "mentions",
    NotificationKind.assigned: "assignments",
    NotificationKind.commented: "comments",
    NotificationKind.status: "status changes",
    NotificationKind.due_soon: "due tomorrow",
    NotificationKind.overdue: "overdue",
}


@dataclass(frozen=True, slots=True)
class Line:
    kind: NotificationKind
    actor: str | None
    excerpt: str  # a comment's first words; a status's name for `status`
    due_on: date | None


@dataclass(frozen=True, slots=True)
class Item:
    """One listed notification: what happened, and where (its task, or its project)."""

    id: int
    project_id: int
    line: Line
    ref: str  # "WEB-12", or "" for a line about no task
    name: str  # the task's title, or the project's name: what users wrote
    url: str

    @property
    def label(self) -> str:
        return f"{self.ref} {self.name}".strip()

    @property
    def quoted_label(self) -> str:
        """For a plain-text body (mail/quoting.py)."""
        return f"{self.ref} {quoted(self.name)}".strip()


@dataclass(slots=True)
class Tally:
    """What an email counts instead of listing."""

    by_kind: Counter[NotificationKind] = field(default_factory=Counter)
    by_project: Counter[str] = field(default_factory=Counter)
    backlog: int = 0  # of them, made before email was turned on

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def add(self, kind: NotificationKind, project: str, count: int, backlog: bool) -> None:
        self.by_kind[kind] += count
        self.by_project[project] += count
        self.backlog += count if backlog else 0


@dataclass(slots=True)
class Digest:
    email: str
    name: str
    app_url: str
    inbox_url: str
    unsubscribe_url: str
    mentions: list[Item] = field(default_factory=list)  # newest first, each listed
    assignments: list[Item] = field(default_factory=list)  # newest first
    latest: list[Item] = field(default_factory=list)  # other kinds, newest first
    rest: Tally = field(default_factory=Tally)
    mentions_next: int = 0  # mentions beyond this email's: the next one lists them
    started_at: datetime | None = None  # when email was turned on (for the backlog's line)

    @property
    def listed(self) -> list[Item]:
        return [*self.mentions, *self.assignments, *self.latest]

    @property
    def count(self) -> int:
        return len(self.listed) + self.rest.total


def _phrase(line: Line, name: Callable[[str], str] = one_line) -> tuple[str | None, str]:
    """(who, did what); nobody for the due-date reminders. `name` shows what users wrote."""
    actor = name(line.actor) if line.actor else "Someone"
    match line.kind:
        case NotificationKind.assigned:
            return actor, "assigned it to you"
        case NotificationKind.mentioned:
            return actor, "mentioned you" + ("" if line.excerpt else " in the description")
        case NotificationKind.commented:
            return actor, "commented"
        case NotificationKind.status:
            return actor, f"moved it to {name(line.excerpt)}"
        case NotificationKind.due_soon:
            return None, f"Due tomorrow ({line.due_on})"
        case NotificationKind.overdue:
            return None, f"Overdue (due {line.due_on})"


def what(line: Line, name: Callable[[str], str] = one_line) -> str:
    """Who did what, as plain text."""
    actor, did = _phrase(line, name)
    return did if actor is None else f"{actor} {did}"


def _what_markdown(line: Line) -> str:
    actor, did = _phrase(line)
    did = markdown.escape(did)
    return did if actor is None else f"**{markdown.escape(actor)}** {did}"


def _quoted(line: Line) -> bool:
    return line.kind in (NotificationKind.mentioned, NotificationKind.commented) and bool(
        line.excerpt
    )


def subject(digest: Digest) -> str:
    listed = digest.listed
    if digest.count == 1 and listed:
        text = one_line(f"{listed[0].label}: {what(listed[0].line)}")  # no break in a header
        return text if len(text) <= SUBJECT else text[: SUBJECT - 1] + "…"
    if not listed:
        return f"{_n(digest.count, 'notification')} waiting in your Laneway inbox"
    text = f"{_new(digest.count)} in Laneway"
    mentions = len(digest.mentions) + digest.mentions_next
    return f"{text} ({_n(mentions, 'mention')} of you)" if mentions else text


def _sections(digest: Digest) -> list[tuple[str, list[Item]]]:
    return [
        (title, items)
        for title, items in (
            ("Mentioned you", digest.mentions),
            ("Assigned to you", digest.assignments),
            ("Latest", digest.latest),
        )
        if items
    ]


def _tally_lines(digest: Digest, name: Callable[[str], str] = one_line) -> list[str]:
    """The counted rest, as sentences (plain text; the markdown escapes them); `name` shows
    the projects' names, which users wrote."""
    rest = digest.rest
    if not rest.total:
        return []
    more = "more " if digest.listed else ""
    head = f"{rest.total:,} {more}{'notification' if rest.total == 1 else 'notifications'}"
    if rest.backlog and digest.started_at is not None:
        since = digest.started_at.date().isoformat()
        all_of = "all" if rest.backlog == rest.total else f"{rest.backlog:,}"
        head += f", {all_of} from before email was turned on ({since})"
    kinds = ", ".join(f"{n:,} {KIND_NAMES[k]}" for k, n in rest.by_kind.most_common())
    ranked = rest.by_project.most_common()
    projects = ", ".join(f"{name(project)} ({n:,})" for project, n in ranked[:PROJECTS_NAMED])
    if len(ranked) > PROJECTS_NAMED:
        others = ranked[PROJECTS_NAMED:]
        projects += f", {len(others):,} other projects ({sum(n for _, n in others):,})"
    return [f"{head}.", f"By kind: {kinds}.", f"By project: {projects}."]


def plain(digest: Digest) -> str:
    out = [f"Hello {one_line(digest.name)},", "", _intro(digest), ""]
    for title, items in _sections(digest):
        out += [title, "-" * len(title), ""]
        for item in items:
            out.append(f"- {item.quoted_label}: {what(item.line, quoted)}")
            if _quoted(item.line):
                out.append(f"  {quoted(item.line.excerpt)}")
            out += [f"  {item.url}", ""]
    tally = _tally_lines(digest, quoted)
    if tally:
        out += ["In your inbox", "-------------", "", *tally, f"Open it: {digest.inbox_url}", ""]
    if digest.mentions_next:
        out += [f"{_n(digest.mentions_next, 'more mention')} of you follow in the next email.", ""]
    out += [
        "--",
        f"Open Laneway: {digest.app_url}",
        f"Stop these emails: {digest.unsubscribe_url}",
    ]
    return "\n".join(out) + "\n"


def markdown_text(digest: Digest) -> str:
    out = [f"Hello {markdown.escape(digest.name)},", "", markdown.escape(_intro(digest)), ""]
    for title, items in _sections(digest):
        out += [f"## {title}", ""]
        for item in items:
            label = markdown.escape(item.label)
            out.append(f"- **[{label}](<{item.url}>)**: {_what_markdown(item.line)}")
            if _quoted(item.line):
                out += ["", f"  > {one_line(item.line.excerpt)}", ""]
        out.append("")
    tally = _tally_lines(digest)
    if tally:
        out += ["## In your inbox", ""]
        out += [f"{markdown.escape(sentence)}  " for sentence in tally]
        out += [f"[Open your inbox](<{digest.inbox_url}>)", ""]
    if digest.mentions_next:
        more = _n(digest.mentions_next, "more mention")
        out += [f"{more} of you follow in the next email.", ""]
    out += [
        "---",
        "",
        f"[Open Laneway](<{digest.app_url}>) · [Stop these emails](<{digest.unsubscribe_url}>)",
    ]
    return "\n".join(out) + "\n"


def html(digest: Digest) -> str:
    body = markdown.render(markdown_text(digest))
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html_escape(subject(digest))}</title></head>\n"
        '<body style="font-family: sans-serif; line-height: 1.4; max-width: 40em">\n'
        f"{body}</body></html>\n"
    )


def compose(digest: Digest, sender: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(one_line(digest.name), addr_spec=digest.email)
    message["Subject"] = subject(digest)
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("laneway", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    # RFC 8058: a mail client's one-click unsubscribe POSTs to the link
    message["List-Unsubscribe"] = f"<{digest.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(plain(digest))
    message.add_alternative(html(digest), subtype="html")
    return message


def _intro(digest: Digest) -> str:
    if digest.listed:
        return f"{_new(digest.count)} in Laneway."
    waits = "waits" if digest.count == 1 else "wait"
    return f"{_n(digest.count, 'notification')} {waits} in your Laneway inbox."


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _new(total: int) -> str:
    return _n(total, "new notification")
