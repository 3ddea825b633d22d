"""Render every failure as problem+json; bad input is a 4xx, a failing dependency a 503."""

from __future__ import annotations

import time
from typing import Any, cast

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from laneway.errors import (
    BodyNotJson,
    BodyNotObject,
    FieldError,
    LanewayError,
    Problem,
    ServiceUnavailable,
    UnprocessableContent,
    describe_status,
    problem_type,
)
from laneway.kit import security_headers
from laneway.kit.problems import error_response, problem_response

log = structlog.get_logger("laneway.errors")


async def _laneway_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(LanewayError, exc)
    return error_response(exc)


def _field_errors(errors: Any) -> list[FieldError]:
    return [
        FieldError(
            loc=[part for part in err.get("loc", ()) if isinstance(part, str | int)],
            msg=str(err.get("msg", "")),
            type=str(err.get("type", "")),
        )
        for err in errors
    ]


SEND_JSON = "Send a JSON object with Content-Type: application/json."
# the errors pydantic gives when the whole body is not the object a model wants
_NOT_AN_OBJECT = ("model_attributes_type", "model_type", "dict_type")
_JSON_TYPES = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}


def _body_error(errors: list[Any]) -> LanewayError | None:
    """The body as a whole is wrong (not JSON, missing, or JSON but no object): one problem
    with a title that says so, instead of a schema error about a "dictionary"."""
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error")
            return BodyNotJson(f"The body is not valid JSON ({reason}). {SEND_JSON}")
        if tuple(err.get("loc", ())) != ("body",):
            continue
        given = err.get("input")
        if err.get("type") == "missing":
            return BodyNotObject(f"The request has no body. {SEND_JSON}")
        if err.get("type") in _NOT_AN_OBJECT:
            if isinstance(given, bytes | bytearray):  # not sent as JSON, so never parsed
                return BodyNotJson(f"The body was not sent as JSON. {SEND_JSON}")
            what = _JSON_TYPES.get(type(given), "a number")
            return BodyNotObject(f"The body must be a JSON object ({{...}}), not {what}.")
    return None


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    errors = list(exc.errors())
    if (whole := _body_error(errors)) is not None:
        return error_response(whole)
    return error_response(
        UnprocessableContent(
            "The request does not match the schema; see errors.", errors=_field_errors(errors)
        )
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    slug, title = describe_status(exc.status_code)
    problem = Problem(
        type=problem_type(slug),
        title=title,
        status=exc.status_code,
        detail=str(exc.detail) if exc.detail and str(exc.detail).lower() != title.lower() else None,
    )
    return problem_response(problem, dict(exc.headers or {}))


_TRANSIENT = (
    "database is locked",
    "unable to open database",
    "connection",
    "could not connect",
    "terminating",
    "timeout",
    "the database system is",
    "too many clients",
)


def _is_transient(exc: Exception) -> bool:
    """Out of reach, busy or restarting: worth a retry. Anything else is a bug of ours."""
    if isinstance(exc, OSError | PoolTimeoutError):
        return True
    if not isinstance(exc, DBAPIError) or isinstance(
        exc, IntegrityError | DataError | ProgrammingError
    ):
        return False
    if exc.connection_invalidated or isinstance(exc.orig, OSError):
        return True
    message = str(exc.orig).lower()
    return any(marker in message for marker in _TRANSIENT)


class _OutageLog:
    """During an outage every request fails the same way: one line a second says so, with how
    many failures it stands for, instead of one line per request."""

    def __init__(self, every: float = 1.0) -> None:
        self.every, self.last, self.unlogged = every, float("-inf"), 0

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            self.unlogged += 1
            return
        # a timeout's message is empty: its name says what happened
        error = (str(exc).splitlines() or [repr(exc)])[0]
        log.warning("database unavailable", error=error, failures_since_last=self.unlogged + 1)
        self.last, self.unlogged = now, 0


_outage = _OutageLog()


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    if not _is_transient(exc):
        return await _unexpected(_request, exc)
    _outage.failed(exc)
    return error_response(ServiceUnavailable("The database is unavailable; retry shortly."))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    # Starlette sends this response from outside every middleware: the headers come from here
    return problem_response(
        LanewayError("An unexpected error occurred.").problem(), security_headers.DEFAULTS
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(LanewayError, _laneway_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PoolTimeoutError, _database_unavailable)
    app.add_exception_handler(DBAPIError, _database_unavailable)
    # Connection failures surface as OSError from the driver before SQLAlchemy can wrap them.
    app.add_exception_handler(OSError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
