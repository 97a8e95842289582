"""405 answers list every method the path takes, not only those of the first route matched.

Starlette answers 405 from the first route whose path matches, so `OPTIONS /campaigns` said
`Allow: POST` although `GET /campaigns` exists too. This wrapper rewrites `Allow` from the
OpenAPI description, which lists every operation of the app (the roles test keeps it complete).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def path_methods(paths: Mapping[str, Any]) -> list[tuple[re.Pattern[str], list[str]]]:
    """Each OpenAPI path template as a regex, with its methods (GET implies HEAD)."""
    table = []
    for template, item in paths.items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        methods = {m.upper() for m in item if m in HTTP_METHODS}
        if "GET" in methods:
            methods.add("HEAD")
        table.append((regex, sorted(methods)))
    return table


def allowed_methods(table: list[tuple[re.Pattern[str], list[str]]], path: str) -> list[str]:
    """The methods of the most literal template matching `path` (`/contacts/import` is not
    `/contacts/{contact_id}`, which it also matches), as the router itself prefers it."""
    matches = [
        (regex.pattern.count("[^/]+"), methods) for regex, methods in table if regex.match(path)
    ]
    if not matches:
        return []
    fewest = min(count for count, _ in matches)
    return sorted({m for count, methods in matches if count == fewest for m in methods})


class AllowHeader:
    def __init__(self, app: ASGIApp, openapi: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self.openapi = openapi
        self.table: list[tuple[re.Pattern[str], list[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                if self.table is None:
                    self.table = path_methods(self.openapi().get("paths", {}))
                methods = allowed_methods(self.table, scope["path"])
                if methods:
                    headers = [(k, v) for k, v in message["headers"] if k.lower() != b"allow"]
                    headers.append((b"allow", ", ".join(methods).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, rewrite)
