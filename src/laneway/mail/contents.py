"""A digest's content from what the queries found (mail/waiting.py): the listed items, and
the counts of everything waiting less what is listed. Pure, so the arithmetic of "never drop
a mention" is plain to read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from laneway.mail.digest import Digest, Item, Line
from laneway.mail.waiting import Count, ItemRow
from laneway.models import NotificationKind


@dataclass(frozen=True, slots=True)
class Covered:
    """What a sent digest lets the mailer mark: every notification up to `up_to`, except
    fresh mentions other than `mentions` (they wait for the next digest)."""

    up_to: int
    mentions: list[int]


def item(row: ItemRow, public_url: str) -> Item:
    notice, key, project_name, number, title, actor = row
    url = f"{public_url}/p/{notice.project_id}"
    if notice.task_id is not None and number is not None and title is not None:
        url, ref, name = f"{url}?task={notice.task_id}", f"{key}-{number}", title
    else:
        ref, name = "", project_name
    line = Line(notice.kind, actor, notice.excerpt, notice.due_on)
    return Item(notice.id, notice.project_id, line, ref, name, url)


def fill(digest: Digest, counts: Sequence[Count]) -> Covered | None:
    """Counts into the digest what it does not list; None: nothing waits."""
    if not counts:
        return None
    listed = Counter((i.project_id, i.line.kind) for i in digest.listed)
    for count in counts:
        left = count.count
        if not count.backlog:  # listed items are all fresh
            taken = min(left, listed[count.project_id, count.kind])
            listed[count.project_id, count.kind] -= taken
            left -= taken
        if count.kind is NotificationKind.mentioned and not count.backlog:
            digest.mentions_next += left  # never counted away: the next digest lists them
        elif left:
            digest.rest.add(count.kind, count.project, left, count.backlog)
    if not digest.listed and not digest.rest.total:
        return None  # only mentions that arrived since they were looked for
    return Covered(max(c.last_id for c in counts), [i.id for i in digest.mentions])


def newest_first(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda i: i.id, reverse=True)
