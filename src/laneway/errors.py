"""One error base carrying its HTTP status; every error leaves as RFC 9457 problem+json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
    request_id: str | None = None


def problem_type(slug: str) -> str:
    return f"urn:laneway:problem:{slug}"


class LanewayError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors else None

    def problem(self) -> Problem:
        return Problem(
            type=problem_type(self.slug),
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
        )


class BadRequest(LanewayError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(LanewayError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(LanewayError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(LanewayError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(LanewayError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(LanewayError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnprocessableContent(LanewayError):
    status, slug, title = 422, "validation-error", "Invalid request"


class TooManyRequests(LanewayError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(LanewayError):
    status, slug, title = 503, "unavailable", "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class PreconditionFailed(LanewayError):
    status, slug, title = 412, "precondition-failed", "Changed by someone else"


class PreconditionRequired(LanewayError):
    status, slug, title = 428, "precondition-required", "If-Match required"


# Kinds of a status with titles of their own, so a client (and a person) sees what went wrong
# before reading the detail; the OpenAPI document lists each under its status.
class MalformedIfMatch(BadRequest):
    slug, title = "malformed-if-match", "Malformed If-Match"


class BodyNotJson(BadRequest):
    slug, title = "body-not-json", "Request body is not JSON"


class BodyNotObject(UnprocessableContent):
    slug, title = "body-not-object", "Request body is not a JSON object"


_ALL: tuple[type[LanewayError], ...] = (
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnprocessableContent,
    PreconditionRequired,
    TooManyRequests,
    ServiceUnavailable,
)
_BY_STATUS = {cls.status: cls for cls in _ALL}


def describe_status(status: int) -> tuple[str, str]:
    """(slug, title) for an HTTP status raised outside our own errors (routing, body limits)."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls.slug, cls.title
    if status == 405:
        return "method-not-allowed", "Method not allowed"
    return "http-error", "HTTP error"


# Statuses whose problems carry titles of their own (MalformedIfMatch, BodyNotJson,
# BodyNotObject): the document says so, and the title tells a client which it got.
_DESCRIPTIONS = {
    400: "Bad request: a malformed body, header or parameter; the title says which",
    422: "Invalid request: the body or a parameter does not fit the schema; see the title "
    "and `errors`",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the errors an endpoint returns, so the document tells the truth."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, _BY_STATUS[status].title),
            "content": {PROBLEM_JSON: {}},
        }
        for status in statuses
    }
