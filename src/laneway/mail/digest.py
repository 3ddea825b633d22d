"""One person's batch of notifications as an email: grouped by project and task, each line
saying who did what (with the comment's first words), a link to each task, and the
unsubscribe link, in a plain-text part and an HTML part rendered from markdown."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Line:
    kind: NotificationKind
    actor: str | None
    excerpt: str  # a comment's first words; a status's name for `status`
    due_on: date | None


@dataclass(slots=True)
class TaskGroup:
    url: str
    number: str  # WEB-12; empty for a line about no task
    title: str
    lines: list[Line] = field(default_factory=list)


@dataclass(slots=True)
class ProjectGroup:
    name: str
    tasks: dict[int | None, TaskGroup] = field(default_factory=dict)


@dataclass(slots=True)
class Digest:
    email: str
    name: str
    app_url: str
    unsubscribe_url: str
    projects: dict[int, ProjectGroup] = field(default_factory=dict)
    more: int = 0  # waiting beyond those listed (they are in the inbox)

    @property
    def count(self) -> int:
        return sum(len(t.lines) for p in self.projects.values() for t in p.tasks.values())


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
    if digest.count == 1:
        task = next(t for p in digest.projects.values() for t in p.tasks.values())
        text = f"{task.number} {task.title}: {what(task.lines[0])}".strip()
        text = one_line(text)  # no line break reaches a header
        return text if len(text) <= SUBJECT else text[: SUBJECT - 1] + "…"
    total = digest.count + digest.more
    return f"{total} new notifications in Laneway"


def plain(digest: Digest) -> str:
    total = digest.count + digest.more
    out = [f"Hello {one_line(digest.name)},", "", f"{_new(total)} in Laneway:", ""]
    for project in digest.projects.values():
        heading = quoted(project.name)  # what users wrote is quoted (mail/quoting.py)
        out += [heading, "=" * min(len(heading), 70), ""]
        for task in project.tasks.values():
            out += [f"{task.number} {quoted(task.title)}".strip(), task.url]
            for line in task.lines:
                out.append(f"  - {what(line, quoted)}")
                if _quoted(line):
                    out.append(f"    {quoted(line.excerpt)}")
            out.append("")
    if digest.more:
        out += [f"... and {digest.more} more in your inbox.", ""]
    out += [
        "--",
        f"Open Laneway: {digest.app_url}",
        f"Stop these emails: {digest.unsubscribe_url}",
    ]
    return "\n".join(out) + "\n"


def markdown_text(digest: Digest) -> str:
    total = digest.count + digest.more
    out = [f"Hello {markdown.escape(digest.name)},", "", f"{_new(total)} in Laneway:", ""]
    for project in digest.projects.values():
        out += [f"## {markdown.escape(project.name)}", ""]
        for task in project.tasks.values():
            label = markdown.escape(f"{task.number} {task.title}".strip())
            out += [f"**[{label}](<{task.url}>)**", ""]
            for line in task.lines:
                out.append(f"- {_what_markdown(line)}")
                if _quoted(line):
                    out += ["", f"  > {' '.join(line.excerpt.split())}", ""]
            out.append("")
    if digest.more:
        out += [f"… and {digest.more} more in your inbox.", ""]
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


def _new(total: int) -> str:
    return "1 new notification" if total == 1 else f"{total} new notifications"
