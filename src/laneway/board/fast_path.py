"""Board reads answered before routing, when this process can answer them from its caches.

A client following a board sends `GET {prefix}/projects/{id}/board` again and again, mostly with
the ETag it has; nearly all of those find nothing changed. When the caller's token and role and
the board's version are all in this process's caches (caches.py, with their age limit), the
answer is the same one the route would give, built here without routing or dependency
resolution, which cost several times more than the answer itself. Anything else (a cache
miss, a bad token, an unusual query) goes on to the route, which gives every other answer.
"""

from __future__ import annotations

import re

import structlog
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from laneway.auth import service
from laneway.board.endpoints import DEFAULT_LIMIT, MAX_LIMIT, board_etag, etag_matches
from laneway.caches import Caches
from laneway.observability import metrics
from laneway.rate_limits.tiers import AUTH_KEY

_QUERY = re.compile(rb"(?:limit=([1-9][0-9]{0,2}))?")


class BoardFastPath:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        """`prefix`: where the API's routers are mounted (the board route's is under it)."""
        self.app = app
        # the route's template: the fast path's answers count under it
        self.route = prefix + "/projects/{project_id}/board"
        self._path = re.compile(re.escape(prefix) + r"/projects/([1-9][0-9]{0,17})/board")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            response = self._from_caches(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _from_caches(self, scope: Scope) -> Response | None:
        path = self._path.fullmatch(scope["path"])
        query = _QUERY.fullmatch(scope["query_string"])
        if path is None or query is None:
            return None
        limit = int(query[1]) if query[1] else DEFAULT_LIMIT
        if limit > MAX_LIMIT:
            return None
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        if authorization is None or authorization[:7].lower() != "bearer ":
            return None
        caches: Caches = scope["app"].state.laneway.caches
        auth = scope.get(AUTH_KEY)  # the rate limit found it in the cache, usable, just now
        if auth is None:
            auth = service.cached_usable(caches, authorization[7:].strip())
            if auth is None:
                return None
        project_id = int(path[1])
        # any role may read a board; without one the route answers 404
        if caches.role(project_id, auth.user.id) is None:
            return None
        seq = caches.versions.current(project_id)
        if seq is None:
            return None
        structlog.contextvars.bind_contextvars(user_id=auth.user.id, project_id=project_id)
        scope[metrics.ROUTE_KEY] = self.route
        etag = board_etag(seq, limit)
        if etag_matches(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag})
        body = caches.board(project_id, limit, seq)
        if body is None:
            return None
        return Response(body, headers={"ETag": etag}, media_type="application/json")
