"""Who is told what about one event: pure functions of the event, the project's members and
the task's watchers, so the rules read (and are tested) apart from the queue that runs them.

- Assigned: the new assignee of a created or updated task.
- Mentioned: `@username` of a member in a comment, or newly in a task's description.
- Commented: a new comment, to the task's watchers (and to members whose level is `all`).
- Status: a task moved to another status, to the same people.
Nobody is told about their own action, a member whose level is `none` is told nothing, and
each person gets one notification per event (a mention outranks an assignment, which
outranks the rest). Whoever reports, is assigned, comments or is mentioned starts watching.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from laneway.auth.usernames import mentioned
from laneway.models import NotificationKind, NotifyLevel
from laneway.models.event_payloads import AnyPayload

RANK = {
    NotificationKind.mentioned: 0,
    NotificationKind.assigned: 1,
    NotificationKind.commented: 2,
    NotificationKind.status: 3,
}
EXCERPT = 200


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    username: str
    level: NotifyLevel


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the rules read of an event (a row of the log)."""

    seq: int
    actor_id: int | None
    task_id: int | None
    payload: AnyPayload  # its type, changes and snapshot


@dataclass(slots=True)
class Outcome:
    notify: dict[int, tuple[NotificationKind, str]] = field(default_factory=dict)  # user: what
    watch: set[int] = field(default_factory=set)  # users who start watching the task

    def tell(self, user_id: int, kind: NotificationKind, excerpt: str = "") -> None:
        held = self.notify.get(user_id)
        if held is None or RANK[kind] < RANK[held[0]]:
            self.notify[user_id] = (kind, excerpt)


def decide(
    event: EventFacts,
    members: dict[int, Member],
    watchers: set[int],
    status_names: dict[int, str],
) -> Outcome:
    outcome = Outcome()
    what = event.payload
    by_name = {m.username: m.user_id for m in members.values()}
    if what.type == "task.created" and what.snapshot is not None:
        _watch(outcome, what.snapshot["reporter_id"])
        _assigned(outcome, what.snapshot["assignee_id"])
        _mentions(outcome, by_name, mentioned(what.snapshot["description"]))
    elif what.type in ("task.updated", "task.moved"):
        changes = what.changes
        if "assignee_id" in changes:
            _assigned(outcome, changes["assignee_id"][1])
        if "description" in changes:
            old, new = changes["description"]
            _mentions(outcome, by_name, mentioned(new) - mentioned(old))
        if "status_id" in changes:
            name = status_names.get(changes["status_id"][1], "")
            _followers(outcome, members, watchers, NotificationKind.status, name)
    elif what.type == "comment.created" and what.snapshot is not None:
        body = what.snapshot["body"]
        _watch(outcome, event.actor_id)
        _mentions(outcome, by_name, mentioned(body), _excerpt(body))
        _followers(outcome, members, watchers, NotificationKind.commented, _excerpt(body))
    elif what.type == "comment.updated" and "body" in what.changes:
        old, new = what.changes["body"]
        _mentions(outcome, by_name, mentioned(new) - mentioned(old), _excerpt(new))
    # what applies to everyone: members only, never the actor, never at level `none`
    outcome.notify = {
        user: what
        for user, what in outcome.notify.items()
        if user != event.actor_id
        and user in members
        and members[user].level is not NotifyLevel.none
    }
    outcome.watch = {user for user in outcome.watch if user in members}
    return outcome


def may_notify(what: AnyPayload) -> bool:
    """Whether `decide` could tell anyone of this event, whoever the members and watchers: the
    same branches, each asking only whether it could name someone."""
    if what.type == "task.created" and what.snapshot is not None:
        snapshot = what.snapshot
        return snapshot["assignee_id"] is not None or bool(mentioned(snapshot["description"]))
    if what.type in ("task.updated", "task.moved"):
        changes = what.changes
        if "status_id" in changes:
            return True  # the watchers, and every task has them
        if "assignee_id" in changes and changes["assignee_id"][1] is not None:
            return True
        if "description" in changes:
            old, new = changes["description"]
            return bool(mentioned(new) - mentioned(old))
        return False
    if what.type == "comment.created":
        return what.snapshot is not None
    if what.type == "comment.updated" and "body" in what.changes:
        old, new = what.changes["body"]
        return bool(mentioned(new) - mentioned(old))
    return False


def _watch(outcome: Outcome, user_id: int | None) -> None:
    if user_id is not None:
        outcome.watch.add(user_id)


def _assigned(outcome: Outcome, user_id: int | None) -> None:
    if user_id is not None:
        outcome.watch.add(user_id)
        outcome.tell(user_id, NotificationKind.assigned)


def _mentions(
    outcome: Outcome, by_name: dict[str, int], names: Iterable[str], excerpt: str = ""
) -> None:
    for name in names:
        user_id = by_name.get(name)  # a name that is no member's mentions nobody
        if user_id is not None:
            outcome.watch.add(user_id)
            outcome.tell(user_id, NotificationKind.mentioned, excerpt)


def _followers(
    outcome: Outcome,
    members: dict[int, Member],
    watchers: set[int],
    kind: NotificationKind,
    excerpt: str,
) -> None:
    everyone = {m.user_id for m in members.values() if m.level is NotifyLevel.all}
    for user_id in watchers | everyone:
        outcome.tell(user_id, kind, excerpt)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"
