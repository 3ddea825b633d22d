"""The recent-events ring alone: what it answers, and when it says it cannot."""

from __future__ import annotations

from laneway.realtime.recent import Recent, Ring
from laneway.realtime.wire import Published


def _event(seq: int, project_id: int = 1) -> Published:
    return Published(project_id, seq, "task.updated", seq, f'{{"seq":{seq}}}')


def _seqs(events: list[Published] | None) -> list[int] | None:
    return None if events is None else [e.seq for e in events]


def test_it_answers_exactly_the_events_after_a_seq_in_order() -> None:
    ring = Ring(size=100)
    for seq in [3, 1, 2, 5, 4, 4]:  # late, early and twice, as replicas deliver them
        ring.add(_event(seq))
    assert _seqs(ring.between(0, 5)) == [1, 2, 3, 4, 5]
    assert _seqs(ring.between(2, 4)) == [3, 4]
    assert _seqs(ring.between(5, 5)) == []
    assert ring.newest == 5


def test_it_says_so_when_one_event_is_not_there() -> None:
    ring = Ring(size=100)
    for seq in [11, 12, 14]:
        ring.add(_event(seq))
    assert ring.between(10, 14) is None  # 13 is still on its way
    assert ring.between(9, 12) is None  # 10 came before the ring
    ring.add(_event(13))
    assert _seqs(ring.between(10, 14)) == [11, 12, 13, 14]


def test_it_keeps_only_the_newest_events() -> None:
    ring = Ring(size=10)
    for seq in range(1, 101):
        ring.add(_event(seq))
    assert _seqs(ring.between(90, 100)) == list(range(91, 101))
    assert ring.between(89, 100) is None


def test_rings_exist_for_watched_projects_only_and_are_bounded() -> None:
    recent = Recent(size=10, projects=2)
    recent.add(_event(1, project_id=7))
    assert recent.ring(7) is None  # nobody watches it here
    first = recent.track(7)
    recent.add(_event(2, project_id=7))
    assert _seqs(first.between(1, 2)) == [2]
    assert recent.track(7) is first
    recent.track(8)
    recent.track(9)  # the least recently watched goes
    assert recent.ring(7) is None
    assert recent.ring(8) is not None
    assert recent.ring(9) is not None
