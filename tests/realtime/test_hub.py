"""The hub alone: a viewer's queue is bounded, and a viewer that fills it is let go."""

from __future__ import annotations

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
