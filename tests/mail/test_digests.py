"""What a digest says, against a real SMTP server: mentions first, then assignments, then the
rest counted; never a mention dropped however much else waits; a backlog from before email
was turned on summarised once, in one email; a pass costs the same statements at any size."""

from __future__ import annotations

from datetime import datetime
from itertools import cycle

import pytest
from sqlalchemy import insert

from laneway.mail import mailer
from laneway.models import Notification, NotificationKind
from laneway.models.base import utcnow
from laneway.state import AppState
from tests.mail.conftest import PUBLIC_URL, Clock, SmtpServer, emailed, text_of
from tests.support import Api, StatementCounter, User, ago

OTHERS = (NotificationKind.commented, NotificationKind.status, NotificationKind.assigned)


class Place:
    """A person in two projects, each with a task, to plant notifications about."""

    def __init__(self, owner: User, person: User) -> None:
        self.owner, self.person = owner, person
        self.projects: list[int] = []
        self.tasks: list[int] = []
        self.labels: list[str] = []  # each task as a digest names it: 'WS-1 "Web site task"'


async def place(api: Api, name: str = "alice") -> Place:
    where = Place(await api.user(f"owner-of-{name}"), await api.user(name))
    for project_name in ("Web site", "Docs"):
        pid = (await api.project(where.owner, project_name))["id"]
        await api.add_member(pid, where.owner, where.person, "member")
        task = await api.task(where.owner, pid, title=f"{project_name} task")
        where.projects.append(pid)
        where.tasks.append(task["id"])
        where.labels.append(f'{task["number"]} "{task["title"]}"')
    return where


async def plant(
    state: AppState,
    where: Place,
    kinds: list[NotificationKind],
    created_at: datetime | None = None,
    excerpt: str = "",
) -> None:
    """One notification per kind given, alternating between the two projects (rows straight
    into the table: thousands through the API would take minutes)."""
    made = created_at or utcnow()
    rows = [
        {
            "user_id": where.person.id,
            "project_id": where.projects[i % 2],
            "task_id": where.tasks[i % 2],
            "kind": kind,
            "actor_id": where.owner.id,
            "excerpt": excerpt.format(i=i) if kind is NotificationKind.mentioned else "",
            "created_at": made,
        }
        for i, kind in enumerate(kinds)
    ]
    async with state.database.transaction() as session:
        await session.execute(insert(Notification), rows)


async def mention(api: Api, where: Place, text: str) -> None:
    response = await api.request(
        "POST", f"/tasks/{where.tasks[0]}/comments", where.owner, json={"body": text}
    )
    assert response.status_code == 201, response.text


def said(plain: str) -> list[str]:
    """What each listed line says the owner did, in order (whatever the layout)."""
    return [
        line.partition('"owner-of-alice" ')[2].rstrip()
        for line in plain.splitlines()
        if '"owner-of-alice" ' in line
    ]


def items(plain: str) -> list[str]:
    """The listed lines, in order."""
    return [line.rstrip() for line in plain.splitlines() if line.startswith("- ")]


async def test_a_backlog_at_first_start_is_one_summary_email(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    """1,300 notifications made before email was turned on (this app's mailer started with
    the app): one email counts them, none is listed, and no later pass sends another."""
    assert state.mailer is not None
    where = await place(api)
    kinds = [*OTHERS, NotificationKind.mentioned]
    await plant(state, where, [kinds[i % 4] for i in range(1300)], ago(hours=2), "old {i}")

    for windows in (1, 2, 2, 2):
        clock.a_window_on(windows)
        await state.mailer.run_once()
    (message,) = smtp_server.messages
    assert message["Subject"] == "1,300 notifications waiting in your Laneway inbox"
    plain = text_of(message, "plain")
    assert items(plain) == []
    assert "old " not in plain
    started = utcnow().date().isoformat()
    assert f"1,300 notifications, all from before email was turned on ({started})." in plain
    for count in ("325 comments", "325 status changes", "325 assignments", "325 mentions"):
        assert count in plain
    assert 'By project: "Web site" (650), "Docs" (650).' in plain
    assert f"Open it: {PUBLIC_URL}/inbox" in plain
    assert f'href="{PUBLIC_URL}/inbox"' in text_of(message, "html")
    assert await emailed(state, where.person.id) == [True] * 1300


async def test_a_fresh_mention_heads_the_next_digest_after_500_older_items(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    assert state.mailer is not None
    where = await place(api)
    await plant(state, where, [OTHERS[i % 3] for i in range(500)])
    await mention(api, where, "@alice can you check the **numbers**?")
    assert await state.notifier.drain() == 1

    clock.a_window_on()
    assert await state.mailer.run_once() == 1
    (message,) = smtp_server.messages
    assert message["Subject"] == "501 new notifications in Laneway (1 mention of you)"
    plain = text_of(message, "plain")
    listed = items(plain)
    assert listed[0] == f'- {where.labels[0]}: "owner-of-alice" mentioned you'
    assert plain.index("Mentioned you") < plain.index("Assigned to you") < plain.index("Latest")
    assert '"@alice can you check the **numbers**?"' in plain
    assert len(listed) == 1 + mailer.ASSIGNMENTS_LISTED + mailer.LATEST_LISTED
    assert "470 more notifications." in plain
    assert "<strong>numbers</strong>" in text_of(message, "html")
    assert await emailed(state, where.person.id) == [True] * 501


async def test_mentions_then_assignments_lead_newest_first(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    """In the order made: mention A, comment, assignment 1, status, assignment 2, mention B,
    comment. The email lists mentions B, A; assignments 2, 1; then the rest."""
    assert state.mailer is not None
    where = await place(api)
    k = NotificationKind
    made = [k.mentioned, k.commented, k.assigned, k.status, k.assigned, k.mentioned, k.commented]
    for i, kind in enumerate(made):  # one at a time: each its own id, in this order
        await plant(state, where, [kind], excerpt=f"mention {i}")
    clock.a_window_on()
    assert await state.mailer.run_once() == 1
    plain = text_of(smtp_server.messages[0], "plain")
    assert said(plain) == [
        "mentioned you",  # mention B (made 6th)
        "mentioned you",  # mention A
        "assigned it to you",  # assignment 2
        "assigned it to you",  # assignment 1
        "commented",
        'moved it to ""',  # its status name, quoted (none planted)
        "commented",
    ]
    assert items(plain)[0] == f'- {where.labels[0]}: "owner-of-alice" mentioned you'
    assert plain.index('"mention 5"') < plain.index('"mention 0"')


async def test_no_mention_is_ever_left_out_across_digests(
    api: Api,
    state: AppState,
    smtp_server: SmtpServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert state.mailer is not None
    where = await place(api)
    # thousands of other items around 60 mentions: the next digest lists every mention
    kinds = [OTHERS[i % 3] for i in range(3000)]
    for at in range(0, 3000, 50):
        kinds[at] = NotificationKind.mentioned
    await plant(state, where, kinds, excerpt="first wave {i}")
    clock.a_window_on()
    assert await state.mailer.run_once() == 1
    plain = text_of(smtp_server.messages[-1], "plain")
    assert sorted(quoted(plain, "first wave")) == sorted(
        f"first wave {i}" for i in range(0, 3000, 50)
    )

    # more mentions than one digest lists: each follows in the next, none twice, none lost
    monkeypatch.setattr(mailer, "MENTIONS_PER_EMAIL", 3)
    await plant(state, where, [NotificationKind.mentioned] * 7, excerpt="second wave {i}")
    await plant(state, where, [OTHERS[i % 3] for i in range(1000)])
    clock.a_window_on(2)
    assert await state.mailer.run_once() == 1
    assert "4 more mentions of you follow in the next email." in text_of(
        smtp_server.messages[-1], "plain"
    )
    await plant(state, where, [NotificationKind.mentioned] * 2, excerpt="third wave {i}")
    for _ in range(4):
        clock.a_window_on(2)
        await state.mailer.run_once()
    later = [text_of(m, "plain") for m in smtp_server.messages[1:]]
    assert len(later) == 3
    seen = [q for plain in later for q in quoted(plain, "wave")]
    assert sorted(seen) == sorted(
        [f"second wave {i}" for i in range(7)] + [f"third wave {i}" for i in range(2)]
    )
    assert all(len(quoted(plain, "wave")) == 3 for plain in later)
    assert set(await emailed(state, where.person.id)) == {True}


def quoted(plain: str, containing: str) -> list[str]:
    """The comment excerpts quoted under listed lines that contain this text."""
    return [
        line.strip()[1:-1]
        for line in plain.splitlines()
        if line.strip().startswith('"') and containing in line
    ]


async def test_a_pass_costs_the_same_statements_at_any_size(
    api: Api,
    state: AppState,
    smtp_server: SmtpServer,
    clock: Clock,
    statements: StatementCounter,
) -> None:
    assert state.mailer is not None
    assert await state.mailer.run_once() == 0  # the first pass records when email started
    small, large = await place(api, "alice"), await place(api, "bob")
    counts = []
    for where, size in ((small, 10), (large, 1000)):
        kinds = [*OTHERS, NotificationKind.mentioned, NotificationKind.due_soon]
        await plant(state, where, list(_take(cycle(kinds), size)))
        clock.a_window_on(2)
        statements.reset()
        assert await state.mailer.run_once() == 1
        counts.append(statements.count)
    # whose batch is due; then the claim, the recipient, mentions, assignments, the latest
    # others, the counts and the mark
    assert counts == [8, 8]
    assert len(smtp_server.messages) == 2


def _take(values: cycle[NotificationKind], n: int) -> list[NotificationKind]:
    return [next(values) for _ in range(n)]
