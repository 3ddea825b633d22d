"""The SMTP server the emails go to (LANEWAY_SMTP_URL), and one connection per pass of the
mailer that sends its messages one after another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

TIMEOUT_SECONDS = 30.0  # each step (connect, a command, the message); well under a window


class SmtpUnavailable(Exception):
    """The server could not be reached, or refused us (not one message): try again later."""


class MessageRefused(Exception):
    """The server refused this message (its recipient, its content); the others may go."""


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool  # smtps://; smtp:// upgrades with STARTTLS when the server offers it
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


class Connection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self._client = client

    async def send(self, message: EmailMessage) -> None:
        """Returns once the server has accepted the message."""
        try:
            await self._client.send_message(message)
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPDataError) as error:
            raise MessageRefused(str(error)) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise SmtpUnavailable(repr(error)) from error


class Smtp:
    def __init__(self, target: SmtpTarget, local_hostname: str) -> None:
        # given, so connecting never waits on a lookup of this machine's own name
        self.target, self.local_hostname = target, local_hostname

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        target = self.target
        client = aiosmtplib.SMTP(
            hostname=target.host,
            port=target.port,
            use_tls=target.implicit_tls,
            start_tls=False if target.implicit_tls else None,  # None: if the server offers it
            timeout=TIMEOUT_SECONDS,
            local_hostname=self.local_hostname,
        )
        try:
            await client.connect()  # greets, and upgrades to TLS when the server offers it
            if target.username is not None:
                if client.get_transport_info("sslcontext") is None:
                    raise SmtpUnavailable(
                        "the server offers no STARTTLS: the password is not sent unencrypted"
                    )
                await client.login(target.username, target.password or "")
        except (aiosmtplib.SMTPException, OSError) as error:
            client.close()
            raise SmtpUnavailable(repr(error)) from error
        except SmtpUnavailable:
            client.close()
            raise
        try:
            yield Connection(client)
        finally:
            with suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
            client.close()
