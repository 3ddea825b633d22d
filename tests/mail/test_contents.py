"""The digest's arithmetic on its own: what is listed is not counted again, a fresh mention
not listed is carried to the next digest (never counted away), the backlog is counted."""

from __future__ import annotations

from datetime import UTC, datetime

from laneway.mail.contents import Covered, fill
from laneway.mail.digest import Digest, Item, Line, plain
from laneway.mail.waiting import Count
from laneway.models import NotificationKind

K = NotificationKind
URL = "https://laneway.example"


def digest(*listed: tuple[int, NotificationKind]) -> Digest:
    """A digest listing these (id, kind) in project 1, in the section of their kind."""
    made = Digest("ada@example.com", "Ada", f"{URL}/", f"{URL}/inbox", f"{URL}/unsubscribe")
    for notice_id, kind in listed:
        item = Item(notice_id, 1, Line(kind, "Bo", "hi", None), "WS-1", "Site", f"{URL}/p/1?task=1")
        section = {K.mentioned: made.mentions, K.assigned: made.assignments}
        section.get(kind, made.latest).append(item)
    return made


def test_what_is_listed_is_not_counted_and_unlisted_mentions_wait() -> None:
    made = digest((9, K.mentioned), (8, K.assigned), (7, K.commented))
    made.started_at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    covered = fill(
        made,
        [
            Count(1, "Site", K.mentioned, False, 3, 9),  # 1 listed, 2 for the next digest
            Count(1, "Site", K.assigned, False, 5, 8),
            Count(1, "Site", K.commented, False, 1, 7),
            Count(2, "Docs", K.mentioned, True, 4, 3),  # backlog: counted
            Count(2, "Docs", K.status, True, 6, 2),
        ],
    )
    assert covered == Covered(up_to=9, mentions=[9])
    assert made.mentions_next == 2
    assert dict(made.rest.by_kind) == {K.assigned: 4, K.mentioned: 4, K.status: 6}
    assert dict(made.rest.by_project) == {"Site": 4, "Docs": 10}
    assert made.rest.backlog == 10
    assert made.count == 3 + 14
    text = plain(made)
    assert "14 more notifications, 10 from before email was turned on (2026-12-01)." in text
    assert "By kind: 6 status changes, 4 assignments, 4 mentions." in text
    assert "2 more mentions of you follow in the next email." in text


def test_a_listed_item_counted_nowhere_takes_nothing_away() -> None:
    """An item that arrived between the listing and the counting is listed, not subtracted
    from another project's or kind's count."""
    made = digest((5, K.assigned))
    assert fill(made, [Count(2, "Docs", K.assigned, False, 3, 4)]) == Covered(4, [])
    assert dict(made.rest.by_kind) == {K.assigned: 3}


def test_only_mentions_arrived_since_the_listing_make_no_digest() -> None:
    made = digest()
    assert fill(made, [Count(1, "Site", K.mentioned, False, 1, 4)]) is None
    assert fill(digest(), []) is None


def test_many_projects_are_summed_after_the_first_ten() -> None:
    made = digest()
    counts = [Count(p, f"P{p}", K.commented, False, 100 - p, p) for p in range(1, 13)]
    assert fill(made, counts) is not None
    assert '"P10" (90), 2 other projects (177).' in plain(made)
