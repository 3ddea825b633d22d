"""What the rate limit adds to one request: the middleware alone, around an app that answers
at once as the board's fast path does (it looks the token up, unless the limit already did),
against the same app without it.

    python -m bench.limit_cost [--requests 200000] [--redis redis://127.0.0.1:6379/0]

Cases: a cached token (the board's hot path), an anonymous address, and a cached token with
the windows shared through Redis (its sync running every 0.2 s meanwhile). Prints a table and
writes bench/results/limit-cost.json (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from laneway.auth import service, tokens
from laneway.caches import Caches
from laneway.config import CacheSettings, RateLimitSettings
from laneway.models import TokenKind, TokenScope
from laneway.models.refs import Authenticated, TokenRef, UserRef
from laneway.rate_limits.middleware import RateLimitMiddleware
from laneway.rate_limits.tiers import AUTH_KEY, TIERS, RateLimits
from laneway.rate_limits.windows import Windows
from laneway.redis_link import RedisLink

ROOT = Path(__file__).resolve().parent.parent
SECRET = "lwp_bench-limit-cost"  # noqa: S105 - a made-up token for an in-memory cache


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    """What the board's fast path does before answering a 304: find the caller's token (the
    limit's lookup hands it over), then answer."""
    if AUTH_KEY not in scope:
        limits: RateLimits = scope["app"].state.laneway.rate_limits
        for name, value in scope["headers"]:
            if name == b"authorization":
                limits.recognise(value[7:].decode("latin-1"))  # the caches, as the path does
    await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", b'"1"')]})
    await send({"type": "http.response.body", "body": b""})


async def _sent(_message: Any) -> None:
    return None


async def _received() -> Any:
    return {"type": "http.request", "body": b""}


def _limits(link: RedisLink | None) -> RateLimits:
    caches = Caches(CacheSettings(seconds=60), access_events=(), label_events=())
    now = datetime.now(UTC)
    user = UserRef(1, "bench@example.com", "Bench", True, now)
    token = TokenRef(1, 1, TokenKind.personal, TokenScope.write, None)
    caches.keep_token(tokens.digest(SECRET), Authenticated(user, token))
    windows = Windows(link, f"bench-limit-cost-{os.getpid()}", 0.2)
    settings = RateLimitSettings(**dict.fromkeys(TIERS, "1000000000/minute"))
    return RateLimits(settings, windows, functools.partial(service.cached_usable, caches))


async def _time(app: Any, headers: list[tuple[bytes, bytes]], limits: RateLimits, n: int) -> float:
    holder = SimpleNamespace(state=SimpleNamespace(laneway=SimpleNamespace(rate_limits=limits)))
    started = time.process_time()
    for _ in range(n):
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/api/v1/projects/1/board",
            "headers": headers,
            "client": ("203.0.113.9", 4000),
            "app": holder,
        }
        await app(scope, _received, _sent)
        await asyncio.sleep(0)  # a server's loop turns between requests: the sync runs
    return (time.process_time() - started) / n * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.limit_cost")
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument(
        "--redis", default=os.environ.get("LANEWAY_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    bearer = [(b"authorization", f"Bearer {SECRET}".encode()), (b"if-none-match", b'"1"')]
    anonymous = [(b"accept", b"application/json")]
    middleware = RateLimitMiddleware(_answer)
    rows: dict[str, float] = {}
    local = _limits(None)
    rows["bare app (no limit)"] = await _time(_answer, bearer, local, args.requests)
    rows["cached token"] = await _time(middleware, bearer, local, args.requests)
    rows["anonymous address"] = await _time(middleware, anonymous, local, args.requests)
    link = RedisLink(args.redis)
    shared = _limits(link)
    shared.windows.start()
    try:
        rows["cached token, shared via Redis"] = await _time(
            middleware, bearer, shared, args.requests
        )
    finally:
        await shared.windows.stop()
        await link.close()
    base = rows["bare app (no limit)"]
    print(f"{'case':<32} {'µs CPU per request':>20} {'added by the limit':>20}")
    for name, micros in rows.items():
        print(f"{name:<32} {micros:>20.2f} {micros - base:>20.2f}")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "limit-cost.json"
    target.write_text(
        json.dumps(
            {
                "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "requests": args.requests,
                "micros_cpu_per_request": {k: round(v, 2) for k, v in rows.items()},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {target}")


if __name__ == "__main__":
    asyncio.run(main())
