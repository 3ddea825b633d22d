"""One-click unsubscribe from notification emails (RFC 8058), by the signed link each email
carries: no sign-in, since the link is the proof. A POST turns the emails off; a GET only
shows a page whose button POSTs, because mail scanners follow links."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse

from laneway.commits import pending
from laneway.db import SessionDep, writes
from laneway.errors import BadRequest, responses
from laneway.instance_keys import InstanceKeys, KeysDep
from laneway.mail import repository, tokens

router = APIRouter(tags=["email"])

Token = Annotated[
    str,
    Query(
        min_length=3,
        max_length=tokens.MAX_LENGTH,
        pattern=r"^[0-9]{1,19}\.[A-Za-z0-9_-]{43}$",
        description="The token of the link in the email.",
    ),
]
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # the form posts back here; nothing else loads or runs
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
INVALID = "This unsubscribe link is not valid."


def _account(keys: InstanceKeys, token: str) -> int:
    user_id = tokens.verify(keys.derive("unsubscribe"), token)
    if user_id is None:
        raise BadRequest(INVALID)
    return user_id


@router.post(
    "/unsubscribe",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="unsubscribe",
    responses={
        303: {"description": "Back to the page (its own form)."},
        **responses(400, 422),
    },
)
@writes
async def unsubscribe(
    token: Token,
    session: SessionDep,
    keys: KeysDep,
    from_page: Annotated[
        bool, Query(description="Set by the page's form: 303 back to the page, not 204.")
    ] = False,
) -> Response:
    """Stop the notification emails of the account the link was made for (what a mail
    client's one-click unsubscribe sends; any body is ignored)."""
    user_id = _account(keys, token)
    if not await repository.set_wants_email(session, user_id, False):
        raise BadRequest(INVALID)  # an account deleted since
    pending(session).users_changed.append(user_id)
    if from_page:
        return Response(
            status_code=status.HTTP_303_SEE_OTHER, headers={"Location": f"?token={token}"}
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/unsubscribe",
    response_class=HTMLResponse,
    operation_id="unsubscribe_page",
    responses={
        200: {
            "description": "A page with a button that unsubscribes.",
            "content": {"text/html": {}},
        },
        **responses(400, 422),
    },
)
async def unsubscribe_page(token: Token, session: SessionDep, keys: KeysDep) -> HTMLResponse:
    """What the link opens in a browser; changes nothing."""
    wants = await repository.wants_email(session, _account(keys, token))
    if wants is None:
        raise BadRequest(INVALID)
    if wants:
        action = escape(f"?token={token}&from_page=true")
        body = (
            "<p>Stop the emails Laneway sends about your notifications? Your inbox in Laneway "
            "keeps them all.</p>\n"
            f'<form method="post" action="{action}"><button type="submit">Stop emails</button>'
            "</form>"
        )
    else:
        body = (
            "<p>Laneway no longer emails you about notifications. You can turn the emails "
            "back on in your profile.</p>"
        )
    return HTMLResponse(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Laneway emails</title></head>\n"
        '<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">\n'
        f"<h1>Notification emails</h1>\n{body}\n</body></html>\n",
        headers=PAGE_HEADERS,
    )
