"""Applies the rate limits to every /api/ request, before routing, and says where each client
stands in the RateLimit / RateLimit-Policy headers (draft-ietf-httpapi-ratelimit-headers).

A request whose token this process has not cached yet goes on: authentication looks the token
up anyway, and applies the account's limit once it knows the account (`apply_to_account`). If
no account is known by the time it answers (an invalid token: 401), the request counts against
its address instead, and while the address has used up its anonymous allowance such requests
are refused before any lookup.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from laneway.errors import TooManyRequests
from laneway.kit.problems import error_response
from laneway.models.refs import Authenticated
from laneway.rate_limits.tiers import DECISION_KEY, UNKNOWN, RateLimits
from laneway.rate_limits.windows import Decision, Limit

_REFUSED = "Too many requests; wait as long as Retry-After says."


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        limits: RateLimits = scope["app"].state.laneway.rate_limits
        who = limits.identify(scope)
        if who is None:
            scope[UNKNOWN] = True
            limit, key = limits.of_address(scope)
            decision = await limits.decide(scope, limit, key, count=False)
        else:
            decision = await limits.decide(scope, *who)
        if not decision.allowed:
            await _refusal(scope, decision)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                if scope.pop(UNKNOWN, False):
                    # no account known by the end (a token that is no token, or a route that
                    # never asked): the request counts against its address
                    await limits.decide(scope, *limits.of_address(scope))
                limit, decision = scope[DECISION_KEY]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"ratelimit-policy", limit.policy_header),
                    (b"ratelimit", limit.state(decision).encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _refusal(scope: Scope, decision: Decision) -> JSONResponse:
    limit: Limit = scope[DECISION_KEY][0]
    response = error_response(TooManyRequests(_REFUSED, retry_after=decision.reset_seconds))
    response.headers["RateLimit-Policy"] = limit.policy
    response.headers["RateLimit"] = limit.state(decision)
    return response


async def apply_to_account(scope: Scope, limits: RateLimits, auth: Authenticated) -> None:
    """Called by authentication for a token the middleware could not place."""
    if not scope.pop(UNKNOWN, False):
        return
    decision = await limits.decide(scope, *limits.of_account(auth))
    if not decision.allowed:
        raise TooManyRequests(_REFUSED, retry_after=decision.reset_seconds)
