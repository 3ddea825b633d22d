"""One analysis of each route for every app a test process makes.

FastAPI analyses a route (its endpoint's parameters and dependencies, its response model: a
pydantic TypeAdapter each) once per app, on the first request that walks past it. Nearly every
test makes an app, and this was a third of a plain test's CPU time. The analysis depends on the
endpoint, its path, its dependencies and its response model only, never on the app, so the
tests keep the first one made and give it to every later app.

These are FastAPI's private names: where one is gone, its analysis simply runs per app again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import params, routing


def share_route_analysis() -> None:
    analyse = getattr(routing, "_build_dependant_with_parameterless_dependencies", None)
    if analyse is not None:
        dependants: dict[tuple[Any, ...], Any] = {}

        def shared_dependant(
            *, path: str, call: Callable[..., Any], dependencies: Sequence[params.Depends]
        ) -> Any:
            key = (path, call, tuple(dependencies))
            if not _hashable(key):
                return analyse(path=path, call=call, dependencies=dependencies)
            if key not in dependants:
                dependants[key] = analyse(path=path, call=call, dependencies=dependencies)
            return dependants[key]

        routing._build_dependant_with_parameterless_dependencies = shared_dependant  # type: ignore[assignment]

    make_field = getattr(routing, "create_model_field", None)
    if make_field is not None:
        fields: dict[tuple[Any, ...], Any] = {}

        # a route's response model (and streamed items): by the route's id, type and mode
        def shared_field(*, name: str, type_: Any, mode: str = "validation", **rest: Any) -> Any:
            key = (name, type_, mode)
            if rest or not _hashable(key):
                return make_field(name=name, type_=type_, mode=mode, **rest)
            if key not in fields:
                fields[key] = make_field(name=name, type_=type_, mode=mode)
            return fields[key]

        routing.create_model_field = shared_field


def _hashable(key: tuple[Any, ...]) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True
