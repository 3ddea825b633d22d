"""Whose request it is, and which allowance applies.

A request with a token counts against its account, in the tier of the token (a signed-in
session or a personal token) or the admin tier for an instance admin; a request without one
counts against its address. An IPv6 address counts by its /64, which one subscriber usually
holds whole. The address is the peer's own unless the peer is a configured trusted proxy (the
proxy-headers middleware has then put the client's in its place).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from starlette.types import Scope

from laneway.config import RateLimitSettings
from laneway.kit.addresses import address_key
from laneway.models import TokenKind
from laneway.models.refs import Authenticated
from laneway.rate_limits.windows import Decision, Limit, Windows

TIERS = ("anonymous", "session", "token", "admin")  # LANEWAY_RATE_LIMIT_<TIER>
AUTH_KEY = "laneway.auth"  # the cached credential the limit found, for authentication to reuse
DECISION_KEY = "laneway.rate"  # (limit, decision), for the response's headers
UNKNOWN = "laneway.rate.unknown"  # a token not in the cache: counted once authentication knows


class RateLimits:
    def __init__(
        self,
        settings: RateLimitSettings,
        windows: Windows,
        recognise: Callable[[str], Authenticated | None],
    ) -> None:
        """`recognise`: the account a bearer token belongs to, when this process knows it
        without a lookup and it may be used (auth's cached tokens), else None."""
        self.windows, self.recognise = windows, recognise
        self.anonymous = Limit.parse("anonymous", settings.anonymous)
        self.session = Limit.parse("session", settings.session)
        self.token = Limit.parse("token", settings.token)
        self.admin = Limit.parse("admin", settings.admin)
        self.rejected: Counter[str] = Counter()  # by tier, for /metrics

    def of_account(self, auth: Authenticated) -> tuple[Limit, str]:
        if auth.user.is_admin:
            limit = self.admin
        elif auth.token.kind is TokenKind.session:
            limit = self.session
        else:
            limit = self.token
        return limit, f"u{auth.user.id}"

    def of_address(self, scope: Scope) -> tuple[Limit, str]:
        client = scope.get("client")
        return self.anonymous, address_key(client[0] if client else "unknown")

    def identify(self, scope: Scope) -> tuple[Limit, str] | None:
        """The allowance and key, or None for a token this process does not know yet."""
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
                break
        if authorization is None or authorization[:7].lower() != b"bearer ":
            return self.of_address(scope)
        auth = self.recognise(authorization[7:].strip().decode("latin-1"))
        if auth is None:  # unknown yet, or unusable: authentication answers (a 401 counts
            return None  # against the address)
        scope[AUTH_KEY] = auth
        return self.of_account(auth)

    async def decide(self, scope: Scope, limit: Limit, key: str, *, count: bool = True) -> Decision:
        windows = self.windows
        if windows.needs_read(limit, key):
            await windows.read(limit, key)
        decision = windows.take(limit, key, count=count)
        if not decision.allowed:
            self.rejected[limit.name] += 1
        scope[DECISION_KEY] = (limit, decision)
        return decision
