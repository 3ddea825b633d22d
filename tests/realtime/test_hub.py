"""The hub alone: a viewer's queue is bounded, and a viewer that fills it is let go."""

from __future__ import annotations

import asyncio

from laneway.realtime.hub import RESUME, Hub
from laneway.realtime.wire import Published


async def test_a_full_queue_holds_no_more_and_closes_the_viewer() -> None:
    hub = Hub(queue_size=5)
    slow = hub.subscribe(1, user_id=7, token_id=1, seen=0)  # its first message: presence
    quick = hub.subscribe(1, user_id=8, token_id=2, seen=0)
    for seq in range(1, 1001):
        hub.publish([Published(1, seq, "task.updated", seq, "{}")])
        while not quick.queue.empty():  # this one keeps up
            quick.queue.get_nowait()
    assert slow.queue.qsize() == 5
    assert (slow.closed.is_set(), slow.close_code) == (True, RESUME)
    assert not quick.closed.is_set()
    assert hub.dropped == 1


def _drain(queue: asyncio.Queue[Published]) -> list[int]:
    seqs = []
    while not queue.empty():
        seqs.append(queue.get_nowait().seq)
    return seqs


async def test_an_event_that_overtook_an_earlier_one_waits_for_it() -> None:
    hub = Hub(queue_size=100)
    viewer = hub.subscribe(1, user_id=7, token_id=1, seen=10)
    viewer.queue.get_nowait()  # presence
    hub.publish([Published(1, 12, "task.updated", 1, "{}")])  # committed here
    hub.publish([Published(1, 13, "task.updated", 1, "{}")])
    assert _drain(viewer.queue) == []
    hub.publish([Published(1, 11, "task.updated", 1, "{}")])  # from another replica
    assert _drain(viewer.queue) == [11, 12, 13]
    hub.publish([Published(1, 11, "task.updated", 1, "{}")])  # the relay's copy
    assert _drain(viewer.queue) == [11]  # the viewer's stream skips what it has sent


async def test_events_waiting_for_a_lost_one_go_out_in_the_end() -> None:
    hub = Hub(queue_size=100, hold_seconds=0.01)
    viewer = hub.subscribe(1, user_id=7, token_id=1, seen=10)
    viewer.queue.get_nowait()  # presence
    hub.publish([Published(1, 13, "task.updated", 1, "{}"), Published(1, 12, "x", 1, "{}")])
    async with asyncio.timeout(5):  # the viewer will read 11 from the log
        assert [(await viewer.queue.get()).seq, (await viewer.queue.get()).seq] == [12, 13]
    hub.publish([Published(1, 14, "task.updated", 1, "{}")])
    assert _drain(viewer.queue) == [14]


async def test_no_more_events_wait_than_a_viewer_queue_holds() -> None:
    hub = Hub(queue_size=5)
    viewer = hub.subscribe(1, user_id=7, token_id=1, seen=0)
    viewer.queue.get_nowait()  # presence
    hub.publish(Published(1, seq, "task.updated", 1, "{}") for seq in range(2, 7))
    assert _drain(viewer.queue) == [2, 3, 4, 5, 6]
    assert not viewer.closed.is_set()


async def test_published_events_are_kept_for_resumes_while_the_project_is_watched() -> None:
    hub = Hub(queue_size=5)
    hub.publish([Published(1, 1, "task.updated", 1, "{}")])
    assert hub.recent.ring(1) is None
    viewer = hub.subscribe(1, user_id=7, token_id=1, seen=1)
    hub.publish(Published(1, seq, "task.updated", 1, "{}") for seq in range(2, 5))
    hub.unsubscribe(viewer)
    hub.publish([Published(1, 5, "task.updated", 1, "{}")])
    ring = hub.recent.ring(1)
    assert ring is not None
    assert [e.seq for e in ring.between(1, 5) or []] == [2, 3, 4, 5]
