"""Accounts from the command line: create-user, reset-password, deactivate-user,
activate-user, set-admin, invite."""

from __future__ import annotations

import getpass
from datetime import timedelta
from typing import Annotated

import typer

from laneway.auth import service as auth_service
from laneway.cli.runner import console, with_state
from laneway.state import AppState

Email = Annotated[str, typer.Option(prompt=True)]
Password = Annotated[
    str | None, typer.Option(help="Read from a prompt when not given.", show_default=False)
]


def _password(given: str | None) -> str:
    secret = given or getpass.getpass("Password: ")
    if len(secret) < 8:
        raise typer.BadParameter("the password needs at least 8 characters")
    return secret


def create_user(
    email: Email, name: Annotated[str, typer.Option(prompt=True)], password: Password = None
) -> None:
    """Create an account (for servers with registration closed)."""
    secret = _password(password)

    async def work(state: AppState) -> int:
        user = await auth_service.register(
            state.database, state.passwords, email=email, password=secret, name=name
        )
        return user.id

    console.print(f"created user {email} (id {with_state(work)})")


def reset_password(email: Email, password: Password = None) -> None:
    """Set a new password for an account; its sessions, personal tokens and live streams end."""
    secret = _password(password)

    async def work(state: AppState) -> int:
        return await auth_service.reset_password(
            state.database, state.passwords, email=email, password=secret
        )

    ended = with_state(work)
    console.print(f"password of {email} reset; its {ended} sessions and tokens have ended")


def _set_active(email: str, *, active: bool) -> None:
    async def work(state: AppState) -> None:
        async with state.database.transaction() as session:
            await auth_service.set_active(session, email=email, active=active)

    with_state(work)


def deactivate_user(email: Email) -> None:
    """Stop an account from signing in; its sessions, tokens and live streams end."""
    _set_active(email, active=False)
    console.print(f"{email} deactivated; its sessions and tokens have ended")


def activate_user(email: Email) -> None:
    """Let a deactivated account sign in again."""
    _set_active(email, active=True)
    console.print(f"{email} can sign in again")


def set_admin(
    email: Email,
    revoke: Annotated[bool, typer.Option("--revoke", help="Make an admin a user again.")] = False,
) -> None:
    """Make an account an instance admin (its requests get the admin rate limit)."""

    async def work(state: AppState) -> None:
        async with state.database.transaction() as session:
            await auth_service.set_admin(session, email=email, admin=not revoke)

    with_state(work)
    console.print(f"{email} is {'no longer ' if revoke else ''}an instance admin")


def invite(
    email: Email,
    days: Annotated[int, typer.Option(min=1, max=365, help="Days the code stays valid.")] = 7,
) -> None:
    """Print a one-use invitation code for EMAIL (LANEWAY_REGISTRATION=invite)."""

    async def work(state: AppState) -> str:
        async with state.database.transaction() as session:
            return await auth_service.invite(
                session, email=email, invited_by=None, valid_for=timedelta(days=days)
            )

    code = with_state(work)
    console.print(f"invitation for {email} (valid {days} days):")
    typer.echo(code)
