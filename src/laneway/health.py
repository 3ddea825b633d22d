"""Liveness (the process answers) and readiness (what it depends on answers).

Readiness checks each dependency on its own: the database is required (`down`, 503, without
it), Redis only speeds things up and joins replicas (`degraded`, still 200, without it: live
changes then reach other replicas through the event log's relay, a second later). Load
balancers and Kubernetes route on the status code; people read the JSON.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum

import structlog
from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import text

from laneway.redis_link import RedisUnavailable
from laneway.state import AppState, StateDep

router = APIRouter(prefix="/health", tags=["health"])
log = structlog.get_logger("laneway.health")

CHECK_TIMEOUT_S = 2.0
RETRY_AFTER_S = 5


class Readiness(StrEnum):
    ready = "ready"
    degraded = "degraded"  # serving, with an optional dependency missing
    down = "down"  # cannot serve: a required dependency is missing


class CheckOut(BaseModel):
    status: str  # "ok" or "error"
    required: bool
    latency_ms: float | None = None
    # a short reason ("timeout", "unreachable"); the details go to the log, not to the caller
    error: str | None = None


class LiveOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: Readiness
    checks: dict[str, CheckOut]


# HEAD answers like GET for monitors and load balancers; out of the document, where it would
# repeat the operation under the same id
@router.get("/live", response_model=LiveOut, operation_id="health_live")
@router.head("/live", response_model=LiveOut, include_in_schema=False)
async def live() -> LiveOut:
    return LiveOut(status="ok")


@router.get(
    "/ready",
    response_model=ReadyOut,
    operation_id="health_ready",
    responses={503: {"model": ReadyOut, "description": "A required dependency is missing"}},
)
@router.head("/ready", response_model=ReadyOut, include_in_schema=False)
async def ready(state: StateDep, response: Response) -> ReadyOut:
    checks = await check_all(state)
    if any(check.required and check.status != "ok" for check in checks.values()):
        status = Readiness.down
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    elif any(check.status != "ok" for check in checks.values()):
        status = Readiness.degraded
    else:
        status = Readiness.ready
    return ReadyOut(status=status, checks=checks)


async def check_all(state: AppState) -> dict[str, CheckOut]:
    probes: dict[str, tuple[bool, Callable[[], Awaitable[object]]]] = {
        "database": (True, lambda: _database(state)),
    }
    link = state.redis_link
    if link is not None:
        probes["redis"] = (False, link.ping)
    results = await asyncio.gather(
        *(_timed(name, required, probe) for name, (required, probe) in probes.items())
    )
    return dict(zip(probes, results, strict=True))


async def _database(state: AppState) -> None:
    async with state.database.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _timed(name: str, required: bool, probe: Callable[[], Awaitable[object]]) -> CheckOut:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await probe()
    except TimeoutError:
        log.warning("readiness check timed out", dependency=name)
        return CheckOut(status="error", required=required, error="timeout")
    except RedisUnavailable as exc:  # the breaker's open circuit says so without trying
        reason = "circuit open" if str(exc) == "circuit open" else "unreachable"
        log.warning("readiness check failed", dependency=name, error=str(exc))
        return CheckOut(status="error", required=required, error=reason)
    except Exception as exc:  # any failure to reach it means it is missing
        log.warning("readiness check failed", dependency=name, error=repr(exc))
        return CheckOut(status="error", required=required, error="unreachable")
    latency = round((time.perf_counter() - started) * 1000, 2)
    return CheckOut(status="ok", required=required, latency_ms=latency)
