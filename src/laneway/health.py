"""Liveness (the process answers) and readiness (it can reach its database)."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from laneway.errors import ServiceUnavailable, responses
from laneway.state import StateDep

router = APIRouter(prefix="/health", tags=["health"])
log = structlog.get_logger("laneway.health")

READY_TIMEOUT_S = 2.0


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/live", response_model=HealthOut, operation_id="health_live")
async def live() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/ready", response_model=HealthOut, operation_id="health_ready", responses=responses(503)
)
async def ready(state: StateDep) -> HealthOut:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            async with state.database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readiness check failed", error=repr(exc))
        raise ServiceUnavailable("The database is not reachable.") from exc
    return HealthOut(status="ok", checks={"database": "ok"})
