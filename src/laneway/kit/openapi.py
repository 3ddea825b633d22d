"""Schemas in the OpenAPI document that no route returns, such as WebSocket messages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import TypeAdapter


def add_schemas(app: FastAPI, *adapters: TypeAdapter[Any]) -> None:
    """The types of `adapters`, named (a model, or a TypeAliasType such as a union)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_schemas(build(), adapters)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _with_schemas(
    document: dict[str, Any], adapters: tuple[TypeAdapter[Any], ...]
) -> dict[str, Any]:
    _, extra = TypeAdapter.json_schemas(
        [(index, "serialization", adapter) for index, adapter in enumerate(adapters)],
        ref_template="#/components/schemas/{model}",
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in extra.get("$defs", {}).items():
        # a name the routes already use must mean the same thing (EventType does)
        if components.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are named {name}")
    return document
