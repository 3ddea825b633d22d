"""Events written straight to an idle viewer's socket: one frame for all, in order, and the
queue again for a viewer whose socket is busy or whose stream has a gap to fill."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.frames import Frame, Opcode

from laneway.realtime import wire
from laneway.realtime.client import follow
from laneway.realtime.hub import RESUME, Hub
from laneway.realtime.wire import Published
from tests.realtime.conftest import start_server, stop_server
from tests.support import Api
from tests.test_cli import _free_port


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 70_000])
def test_a_frame_is_what_a_websocket_server_sends(size: int) -> None:
    text = ("é" * size)[: size // 2] + "x" * (size - 2 * (size // 2))  # multi-byte UTF-8 too
    expected = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
    assert wire.frame(text) == expected


class Socket:
    """Takes writes until told not to, like a transport whose buffer filled up."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.takes = True

    def write(self, frame: bytes) -> bool:
        if self.takes:
            self.frames.append(frame)
        return self.takes


def _event(seq: int) -> Published:
    return Published(1, seq, "task.updated", 1, f'{{"seq":{seq}}}')


def _drain(queue: asyncio.Queue[Published]) -> list[int]:
    seqs = []
    while not queue.empty():
        seqs.append(queue.get_nowait().seq)
    return seqs


async def test_an_idle_viewer_is_written_to_at_once_until_its_socket_is_busy() -> None:
    hub = Hub(queue_size=3)
    viewer = hub.subscribe(1, user_id=7, token_id=1, seen=10)
    viewer.queue.get_nowait()  # presence
    socket, sent = Socket(), [10]

    def write_now(event: Published, frame: bytes) -> bool:  # what Stream._write_now does
        if event.seq != sent[-1] + 1 or not socket.write(frame):
            return False
        sent.append(event.seq)
        return True

    viewer.write_now = write_now
    hub.publish([_event(11), _event(12)])
    assert socket.frames == [wire.frame(_event(11).text), wire.frame(_event(12).text)]
    assert _drain(viewer.queue) == []
    assert hub.sent_at_once == 2

    socket.takes = False  # busy: this event and every later one queue, in order
    hub.publish([_event(13)])
    socket.takes = True
    hub.publish([_event(14), _event(15), _event(16)])  # one more than the queue holds
    assert viewer.write_now is None
    assert len(socket.frames) == 2
    assert (viewer.closed.is_set(), viewer.close_code) == (True, RESUME)  # resumes from the log
    assert _drain(viewer.queue) == [13, 14, 15]
    assert (hub.sent_at_once, hub.dropped) == (2, 1)


async def test_an_event_after_a_gap_goes_to_the_queue() -> None:
    hub = Hub(queue_size=10, hold_seconds=0.01)
    viewer = hub.subscribe(1, user_id=7, token_id=1, seen=10)
    viewer.queue.get_nowait()  # presence
    socket = Socket()
    viewer.write_now = lambda event, frame: event.seq == 11 and socket.write(frame)
    hub.publish([_event(11), _event(13)])  # 12 is late or lost: 13 waits for it, then goes
    async with asyncio.timeout(5):
        assert (await viewer.queue.get()).seq == 13
    assert len(socket.frames) == 1
    assert viewer.write_now is None


@pytest.fixture
def metered_server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    metrics_port = _free_port()
    process, base = start_server(
        database_url,
        LANEWAY_DATA_DIR=str(tmp_path),
        LANEWAY_METRICS_PORT=str(metrics_port),
        LANEWAY_METRICS_SAMPLE_SECONDS="0.1",
    )
    try:
        yield base, f"http://127.0.0.1:{metrics_port}/metrics"
    finally:
        stop_server(process, base)


@pytest.mark.system
async def test_laneway_serve_writes_to_idle_viewers_at_once(
    metered_server: tuple[str, str],
) -> None:
    """Under `laneway serve` the direct path is found (direct.py reaches into uvicorn: an
    upgrade that moves what it reaches for fails here, not only in the bench's figures)."""
    base, metrics_url = metered_server
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        api = Api(http)
        owner = await api.user()
        pid = (await api.project(owner))["id"]
        stream = follow(base, pid, owner.token)
        first = asyncio.create_task(anext(stream))
        await asyncio.sleep(0.5)  # subscribed, caught up, waiting
        tasks = [await api.task(owner, pid, title=f"t{number}") for number in range(5)]
        received = [await asyncio.wait_for(first, 5)]
        received += [await asyncio.wait_for(anext(stream), 5) for _ in range(4)]
        await stream.aclose()
        assert [event["snapshot"]["id"] for event in received] == [t["id"] for t in tasks]
        await asyncio.sleep(0.5)  # a few samples of the counters
        counters = _counters((await http.get(metrics_url)).text)
    assert counters["laneway_live_events_sent_total"] == 5
    assert counters["laneway_live_events_sent_at_once_total"] == 5


def _counters(text: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("laneway_live_events")
    }
