"""The live stream of a project: every committed event, in order, resumable.

    WebSocket /api/v1/projects/{project_id}/live?after=<seq>

Authenticated by `Authorization: Bearer` or, for browsers, `?ticket=` from the ticket route.
A viewer first receives every event after `after`, then the live stream, with no gap and no
duplicate (see stream.py).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import structlog
from fastapi import APIRouter, WebSocket
from pydantic import BaseModel
from starlette.websockets import WebSocketDisconnect

from laneway.activity import repository as activity_repository
from laneway.auth import service as auth_service
from laneway.auth.deps import AuthDep, reading
from laneway.config import LiveSettings, Settings, SettingsDep
from laneway.db import Database, DatabaseDep, SessionDep, writes
from laneway.errors import LanewayError, NotFound, TooManyRequests, Unauthorized, responses
from laneway.kit.problems import error_response
from laneway.kit.schemas import Id, Seq
from laneway.projects import repository as project_repository
from laneway.projects.access import ProjectViewer
from laneway.realtime import tickets, wire
from laneway.realtime.direct import DirectSocket
from laneway.realtime.hub import RELOAD, Hub, HubDep
from laneway.realtime.recent import Ring
from laneway.realtime.stream import Stream

router = APIRouter(tags=["live"])
log = structlog.get_logger("laneway.live")
MAX_CLIENT_MESSAGE = 1024  # bytes; uvicorn refuses frames over its ws_max_size before this


class TicketOut(BaseModel):
    ticket: str
    expires_in: int


@router.post(
    "/projects/{project_id}/live/ticket",
    response_model=TicketOut,
    operation_id="live_ticket",
    responses=responses(401, 404, 422),
)
@writes
@reading
async def live_ticket(
    access: ProjectViewer, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> TicketOut:
    """A short-lived, one-use ticket to open this project's live socket from a browser
    (`?ticket=`). It is never logged; revoking the token it was issued under ends it. A
    `read` token may ask for one: following the stream is reading."""
    ttl = settings.live.ticket_ttl_seconds
    ticket = await tickets.issue(session, auth.token.id, access.project.id, ttl)
    return TicketOut(ticket=ticket, expires_in=ttl)


def _origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser
        return True
    allowed = {o.strip() for o in settings.live.allowed_origins.split(",") if o.strip()}
    if settings.http.public_url:
        allowed.add(settings.http.public_url.rstrip("/"))
    host = websocket.headers.get("host", "")
    return origin.rstrip("/") in allowed or urlsplit(origin).netloc == host


async def _viewer(
    websocket: WebSocket, database: Database, project_id: int
) -> tuple[int, int, int]:
    """(user id, token id, the project's last seq) or a LanewayError, in one short session."""
    bearer = websocket.headers.get("authorization", "")
    raw_ticket = websocket.query_params.get("ticket")
    has_bearer = bearer.lower().startswith("bearer ")
    if not has_bearer and not raw_ticket:
        raise Unauthorized("Send a bearer token or a ticket.")
    # redeeming a ticket deletes it: a write
    async with database.transaction(write=not has_bearer) as session:
        if has_bearer:
            auth = await auth_service.authenticate(session, bearer[7:].strip())
        else:
            token_id = await tickets.redeem(session, raw_ticket or "", project_id)
            if token_id is None:
                raise Unauthorized("The ticket is invalid, used or expired; ask for a new one.")
            auth = await auth_service.authenticate_token_id(session, token_id)
        user_id, token_id = auth.user.id, auth.token.id
        if await project_repository.project_with_role(session, project_id, user_id) is None:
            raise NotFound("No such project.")
        last = await activity_repository.last_seq(session, project_id)
    return user_id, token_id, last


@router.websocket("/projects/{project_id}/live")
async def live(
    websocket: WebSocket,
    project_id: Id,
    settings: SettingsDep,
    database: DatabaseDep,
    hub: HubDep,
    after: Seq | None = None,
) -> None:
    if not _origin_allowed(websocket, settings):
        await websocket.close(code=1008, reason="origin not allowed")
        return
    # looked up before the project's last seq is read: see Stream
    ring = hub.recent.ring(project_id)
    try:
        async with hub.log_reads:
            user_id, token_id, latest = await _viewer(websocket, database, project_id)
    except LanewayError as error:
        await websocket.send_denial_response(error_response(error))
        return
    limit = settings.live.max_sockets_per_user
    if not hub.claim_socket(user_id, limit):
        refused = TooManyRequests(f"At most {limit} live connections per account.", retry_after=5)
        await websocket.send_denial_response(error_response(refused))
        return
    try:
        viewer = _Viewer(user_id, token_id, latest, ring)
        await _serve(websocket, hub, database, settings.live, project_id, after, viewer)
    finally:
        hub.release_socket(user_id)


@dataclass(frozen=True, slots=True)
class _Viewer:
    user_id: int
    token_id: int
    latest: int  # the project's last seq when the viewer was let in
    ring: Ring | None


async def _serve(
    websocket: WebSocket,
    hub: Hub,
    database: Database,
    settings: LiveSettings,
    project_id: int,
    after: int | None,
    viewer: _Viewer,
) -> None:
    await websocket.accept()
    latest = viewer.latest
    start = latest if after is None else max(0, after)
    if latest - start > settings.max_backlog:
        await websocket.send_text(wire.control("reload", seq=latest))
        await websocket.close(code=RELOAD, reason="too far behind; reload the board")
        return
    subscription = hub.subscribe(project_id, viewer.user_id, viewer.token_id, latest)
    stream = Stream(
        websocket,
        hub,
        database,
        project_id,
        after=start,
        latest=latest,
        ring=viewer.ring,
        socket=DirectSocket.of(websocket, settings.send_buffer_bytes),
    )
    try:
        async with anyio.create_task_group() as group:

            async def until_closed() -> None:
                await subscription.closed.wait()
                group.cancel_scope.cancel()

            async def until_client_leaves() -> None:
                # Viewers only listen; anything they send beyond a few bytes ends the socket.
                while (message := await websocket.receive())["type"] != "websocket.disconnect":
                    size = len(message.get("text") or "") + len(message.get("bytes") or b"")
                    if size > MAX_CLIENT_MESSAGE:
                        subscription.close(1009, "message too big")
                        group.cancel_scope.cancel()
                        return
                subscription.close(1000, "client left")
                group.cancel_scope.cancel()

            async def send() -> None:
                await stream.catch_up()
                await stream.follow(subscription)

            group.start_soon(until_closed)
            group.start_soon(until_client_leaves)
            group.start_soon(send)
    except* (WebSocketDisconnect, OSError):  # the viewer went away mid-send
        subscription.close(1000, "client left")
    finally:
        hub.unsubscribe(subscription)
    if subscription.close_reason != "client left":
        with contextlib.suppress(RuntimeError):  # the client may be gone already
            await websocket.close(code=subscription.close_code, reason=subscription.close_reason)
