"""Schemas in the OpenAPI document that no route returns, such as WebSocket messages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema


def add_schemas(app: FastAPI, *models: type[BaseModel]) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_schemas(build(), models)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _with_schemas(document: dict[str, Any], models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    _, extra = models_json_schema(
        [(model, "validation") for model in models],
        ref_template="#/components/schemas/{model}",
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in extra.get("$defs", {}).items():
        # a name the routes already use must mean the same thing (EventType does)
        if components.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are named {name}")
    return document
