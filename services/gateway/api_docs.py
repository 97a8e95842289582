"""The error answers of the API, documented once for every operation where they can occur.

Routers document what is particular to them (a 404 "no such campaign", a 409 for a status);
this module adds what the app itself answers, from the operation's shape, so the OpenAPI
description lists every status the gateway can return and `detail` has the type it has:

- every error body is `{"detail": "<a sentence>"}` (`ErrorMessage`), 422 included: FastAPI's
  default 422 schema (a list of objects) is replaced by what the app's handler returns;
- 400: a malformed `X-Request-ID` or `Content-Length` (the app's middleware), any operation;
- 401 and 403: any operation that declares roles (not logged in, or a role it does not admit);
- 404: any operation with a path parameter; 409: as routers declare;
- 413: any POST, PUT or PATCH (the app caps every body, even where none is expected);
- 422: any operation with parameters or a body;
- 503: any operation (the gateway's Redis, the broker or a service unreachable);
- 502: operations that call a service (a service failed in an unexpected way).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.gateway.roles import ROLES_KEY

ERROR_SCHEMA_NAME = "ErrorMessage"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "what is wrong, for a person"}},
}
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
DEFAULTS = {
    "400": "a malformed X-Request-ID or Content-Length header",
    "401": "not logged in, or the token is invalid, expired or revoked",
    "403": "your role may not do this",
    "404": "no such object, or not yours",
    "413": "the request body is larger than this endpoint accepts",
    "422": "the input is invalid; `detail` says where and why",
    "502": "a service failed unexpectedly",
    "503": "the gateway's Redis, the message broker or a service is unreachable; retry shortly",
}
# Operations answered by the gateway alone, without calling a service.
GATEWAY_ONLY_TAGS = frozenset({"auth", "users", "tenant", "pages"})


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    wanted = {"400", "503"}
    if ROLES_KEY in operation:
        wanted |= {"401", "403"}
    if any(p.get("in") == "path" for p in params):
        wanted.add("404")
    if has_body or method in ("post", "put", "patch"):
        wanted.add("413")
    if has_body:
        wanted.add("422")
    if params:
        wanted.add("422")
    if not GATEWAY_ONLY_TAGS & set(operation.get("tags", ())) and path != "/health":
        wanted.add("502")
    return wanted


def _generic(response: dict[str, Any]) -> bool:
    """An error answer with no body of its own documented (or FastAPI's validation error, which
    the app replaces): it gets the app's `{detail}`. A route that documents its own error body
    (the carpool interoperability standard's `{error}`) keeps it."""
    media = response.get("content", {})
    if not media:
        return True
    if "application/json" not in media:
        return False
    schema = media["application/json"].get("schema")
    return schema is None or "HTTPValidationError" in str(schema)


def _json_error(response: dict[str, Any]) -> None:
    content = response.setdefault("content", {})
    content["application/json"] = {"schema": ERROR_REF}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the app-wide error answers to every operation of `schema` (in place); return it."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in _statuses(path, method, operation):
                responses.setdefault(code, {"description": DEFAULTS[code]})
            for code, response in responses.items():
                if code.startswith(("4", "5")) and _generic(response):
                    _json_error(response)
    return schema


def install(app: FastAPI) -> None:
    """Make `app.openapi()` return the schema with the error answers documented."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_errors(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
