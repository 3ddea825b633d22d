"""The process's one HTTP client for calls it makes (webhook deliveries): one pooled aiohttp
session, made at start and closed at shutdown, that connects only to addresses the SSRF guard
has checked, with timeouts, and never reads proxy settings from the environment."""

from __future__ import annotations

from typing import Annotated

import aiohttp
from fastapi import Depends
from starlette.requests import HTTPConnection

from laneway.config import WebhookSettings
from laneway.outbound import ssrf


class Outbound:
    def __init__(self, settings: WebhookSettings) -> None:
        self.allowed = ssrf.parse_networks(settings.allowed_networks)
        self._timeout = settings.timeout_seconds
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:  # made in the running loop, on first use or at start
            self._session = aiohttp.ClientSession(
                connector=ssrf.connector(self.allowed),
                timeout=aiohttp.ClientTimeout(total=self._timeout, connect=min(5.0, self._timeout)),
                trust_env=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def get_outbound(connection: HTTPConnection) -> Outbound:
    outbound: Outbound = connection.app.state.laneway.outbound
    return outbound


OutboundDep = Annotated[Outbound, Depends(get_outbound)]
