"""Live viewers as lean as a client can be, run in their own processes.

The fan-out bench must measure the server, not the instrument: a WebSocket library costs a
task wakeup, a frame object and a full JSON decode per message, and at 1,000 viewers the client
then burns as much CPU as the server it measures (on the same two cores). Here each viewer is a
bare asyncio protocol: frames are cut out of each read in one loop, a message's seq is read from
its first bytes (the wire format puts it first), and its commit time is parsed once per event
per process, not once per delivery.

    python -m bench.viewers      # driven over stdin/stdout by bench.fanout, one JSON per line

Like a browser, a viewer offers permessage-deflate (the server decides), answers pings, and on
a close resumes with `?after=<last seq>` after a short pause.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import os
import random
import signal
import sys
import time
import zlib
from array import array
from contextlib import suppress
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

HEAD = b'{"seq":'
AT = b'"created_at":"'
FINAL = frozenset({4001, 4003, 4009})  # revoked, removed, reload: a real client stops


def _masked(opcode: int, payload: bytes) -> bytes:
    """A client frame (clients must mask); only small control frames are ever sent."""
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes((0x80 | opcode, 0x80 | len(payload))) + key + body


class Viewer:
    __slots__ = ("code", "last", "refused", "resumes", "seen", "socket", "token")

    def __init__(self, token: str, last: int) -> None:
        self.token, self.last = token, last
        self.seen: set[int] = set()
        self.resumes = self.refused = 0
        self.code = 0  # the last close code received
        self.socket: Socket | None = None  # while upgraded


class Fleet:
    """The viewers of one process and what they received in the current step."""

    def __init__(self, base: str, path: str, deflate: bool) -> None:
        url = urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.path, self.deflate = path, deflate
        self.viewers: list[Viewer] = []
        self.latencies = array("f")
        self.duplicates = self.out_of_order = 0
        self.commit_times: dict[int, float] = {}
        self.floor = 0  # events up to this one belong to an earlier step
        self.last_receipt = 0.0
        self.sample = b""
        self.stopping = False
        self.rng = random.Random(os.getpid())
        self.opening = asyncio.Semaphore(50)

    def reset(self, floor: int) -> None:
        self.floor = floor
        self.latencies = array("f")
        self.duplicates = self.out_of_order = 0
        self.commit_times.clear()
        for viewer in self.viewers:
            viewer.seen = set()
            viewer.resumes = viewer.refused = 0

    async def open(self, viewer: Viewer, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self.stopping:
            return
        loop = asyncio.get_running_loop()
        async with self.opening:
            try:
                _transport, protocol = await loop.create_connection(
                    lambda: Socket(self, viewer), self.host, self.port
                )
                await protocol.opened
            except OSError:
                self.closed(viewer, upgraded=False)

    def closed(self, viewer: Viewer, *, upgraded: bool) -> None:
        viewer.socket = None
        if self.stopping or viewer.code in FINAL:
            return
        if upgraded:
            viewer.resumes += 1
        else:
            viewer.refused += 1
        delay = 0.1 + self.rng.random() * 0.2
        asyncio.get_running_loop().create_task(self.open(viewer, delay))

    def close_all(self) -> None:
        self.stopping = True
        for viewer in self.viewers:
            if viewer.socket is not None:
                viewer.socket.close(1000)

    def received(self, viewer: Viewer, payload: bytes, now: float) -> None:
        if not payload.startswith(HEAD):
            return  # presence and other control messages
        seq = int(payload[7 : payload.index(b",", 7)])
        if seq <= self.floor:
            viewer.last = max(viewer.last, seq)
            return
        committed = self.commit_times.get(seq)
        if committed is None:
            at = payload.rindex(AT) + len(AT)
            stamp = payload[at : payload.index(b'"', at)].decode()
            committed = self.commit_times[seq] = datetime.fromisoformat(stamp).timestamp()
            if not self.sample:
                self.sample = payload
        self.latencies.append((now - committed) * 1000)
        self.last_receipt = now
        if seq in viewer.seen:
            self.duplicates += 1
        else:
            viewer.seen.add(seq)
        if seq < viewer.last:
            self.out_of_order += 1
        else:
            viewer.last = seq


class Socket(asyncio.Protocol):
    def __init__(self, fleet: Fleet, viewer: Viewer) -> None:
        self.fleet, self.viewer = fleet, viewer
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False
        self.inflater: Any = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        fleet, viewer = self.fleet, self.viewer
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {fleet.path}?after={viewer.last} HTTP/1.1",
            f"Host: {fleet.host}:{fleet.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Authorization: Bearer {viewer.token}",
        ]
        if fleet.deflate:
            lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            head, buffer = buffer[:end].lower(), buffer[end + 4 :]
            if not head.startswith(b"http/1.1 101"):
                self.viewer.code = 0
                self._close()
                return
            self.upgraded = True
            self.viewer.socket = self
            if b"permessage-deflate" in head:
                self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            if not self.opened.done():
                self.opened.set_result(None)
        now = time.time()
        size, at = len(buffer), 0
        while size - at >= 2:
            first, length = buffer[at], buffer[at + 1] & 0x7F
            start = at + 2
            if length == 126:
                length, start = int.from_bytes(buffer[at + 2 : at + 4]), at + 4
            elif length == 127:
                length, start = int.from_bytes(buffer[at + 2 : at + 10]), at + 10
            end = start + length
            if end > size:
                break
            payload = buffer[start:end]
            at = end
            opcode = first & 0x0F
            if opcode == 1:
                if first & 0x40:
                    payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
                self.fleet.received(self.viewer, payload, now)
            elif opcode == 9:
                self._write(_masked(10, payload))
            elif opcode == 8:
                self.viewer.code = int.from_bytes(payload[:2]) if len(payload) >= 2 else 1005
                self.close(self.viewer.code)
                return
        self.buffer = buffer[at:]

    def close(self, code: int) -> None:
        self._write(_masked(8, code.to_bytes(2)))
        self._close()

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_result(None)
        self.fleet.closed(self.viewer, upgraded=self.upgraded)


async def _wait(fleet: Fleet, final: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(v.last >= final for v in fleet.viewers):
            return True
        await asyncio.sleep(0.05)
    return False


def _report(fleet: Fleet, start: int, final: int) -> dict[str, Any]:
    expected = set(range(start + 1, final + 1))
    return {
        "deliveries": len(fleet.latencies),
        "missed": sum(len(expected - v.seen) for v in fleet.viewers),
        "duplicates": fleet.duplicates,
        "out_of_order": fleet.out_of_order,
        "resumes": sum(v.resumes for v in fleet.viewers),
        "refused": sum(v.refused for v in fleet.viewers),
        "last_receipt": fleet.last_receipt,
        "latencies": base64.b64encode(fleet.latencies.tobytes()).decode(),
        "sample": fleet.sample.decode(),
    }


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    fleet: Fleet | None = None

    def answer(value: dict[str, Any]) -> None:
        sys.stdout.buffer.write(orjson.dumps(value) + b"\n")
        sys.stdout.buffer.flush()

    while line := await reader.readline():
        command = orjson.loads(line)
        kind = command["cmd"]
        if kind == "connect":
            fleet = Fleet(command["base"], command["path"], command["deflate"])
            tokens = command["tokens"]
            fleet.viewers = [
                Viewer(tokens[i % len(tokens)], command["after"])
                for i in range(command["first"], command["first"] + command["count"])
            ]
            await asyncio.gather(*(fleet.open(v) for v in fleet.viewers))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(v.socket is None for v in fleet.viewers):
                await asyncio.sleep(0.05)
            answer({"connected": sum(v.socket is not None for v in fleet.viewers)})
        elif kind == "step" and fleet is not None:
            fleet.reset(command["start"])
            answer({"ready": True})
        elif kind == "wait" and fleet is not None:
            answer({"caught_up": await _wait(fleet, command["final"], command["timeout"])})
        elif kind == "report" and fleet is not None:
            answer(_report(fleet, command["start"], command["final"]))
        elif kind == "stop":
            if fleet is not None:
                fleet.close_all()
                await asyncio.sleep(0.2)  # let the close frames leave
            break
    answer({"stopped": True})


def _die_with_parent() -> None:
    """A killed bench must not leave viewers behind (Linux: PR_SET_PDEATHSIG)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def main() -> None:
    _die_with_parent()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(_serve())
    else:
        uvloop.run(_serve())


if __name__ == "__main__":
    main()
