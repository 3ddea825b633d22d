"""One attempt of one delivery: signed, through the shared client, to an address checked again
now (so a name that turned private since registration fails), never following a redirect."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from laneway import __version__
from laneway.models import Webhook, WebhookDelivery
from laneway.outbound import ssrf
from laneway.webhooks import signing

SNIPPET_BYTES = 1000
MAX_RETRY_AFTER_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None  # None: no answer (refused, unreachable, timed out)
    latency_ms: int
    error: str | None = None
    snippet: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def keys(webhook: Webhook, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and a rotated-out one for its grace period."""
    found = [webhook.secret]
    until = webhook.previous_secret_until
    if webhook.previous_secret and until is not None and until > now:
        found.append(webhook.previous_secret)
    return found


def _retry_after(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None  # an HTTP date is rare from webhook receivers; the schedule applies
    return min(float(value), MAX_RETRY_AFTER_S)


async def attempt(
    http: aiohttp.ClientSession,
    webhook: Webhook,
    delivery: WebhookDelivery,
    now: datetime,
) -> Outcome:
    body = delivery.body.encode()
    headers = signing.headers(keys(webhook, now), delivery.message_id, int(time.time()), body)
    headers["content-type"] = "application/json"
    headers["user-agent"] = f"Laneway-Webhooks/{__version__}"
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        # the session's connector checks every address it connects to (names and literals)
        async with http.post(
            webhook.url, data=body, headers=headers, allow_redirects=False
        ) as response:
            snippet = (await response.content.read(SNIPPET_BYTES)).decode("utf-8", "replace")
            return Outcome(
                response.status,
                elapsed(),
                snippet=snippet,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
    except aiohttp.ClientConnectorError as error:
        refused = error.os_error if isinstance(error.os_error, ssrf.Refused) else None
        reason = f"refused: {refused.reason}" if refused else f"{type(error).__name__}: {error}"
        return Outcome(None, elapsed(), error=reason[:300])
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        return Outcome(None, elapsed(), error=f"{type(error).__name__}: {error}"[:300])
