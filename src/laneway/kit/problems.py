"""An error as the problem+json response it leaves as, for whatever answers it: the exception
handlers, and the middleware and socket routes that answer before or outside them."""

from __future__ import annotations

from asgi_correlation_id import correlation_id
from fastapi.responses import JSONResponse

from laneway.errors import PROBLEM_JSON, LanewayError, Problem


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    problem.request_id = correlation_id.get()
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def error_response(error: LanewayError) -> JSONResponse:
    return problem_response(error.problem(), error.headers)
