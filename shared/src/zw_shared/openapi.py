"""What every service's OpenAPI document declares beyond its routes' own answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

UNREADABLE_BODY: dict[str, Any] = {
    "description": "the body cannot be decoded at all (its bytes are not UTF-8 JSON)",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            }
        }
    },
}


def declare_unreadable_bodies(app: FastAPI) -> None:
    """FastAPI answers ``400 {"detail": "There was an error parsing the body"}`` before any
    validation when a JSON body cannot be decoded, and says so nowhere: every operation that
    takes a body declares that answer in the document ``app`` serves."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for item in build().get("paths", {}).values():
                for operation in item.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        operation.setdefault("responses", {}).setdefault("400", UNREADABLE_BODY)
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension point
