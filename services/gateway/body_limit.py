"""A cap on every request body, counted as it arrives: a 413 with the limit, never a huge buffer.

Content-Length is checked first (a declared excess is refused before a byte is read), but not
trusted: a chunked body, or one longer than declared, is counted chunk by chunk and refused the
moment it passes the cap. Upload routes have their own, larger, cap (and their own message);
this one is a little above theirs so they speak first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_SLACK_BYTES = 256 * 1024  # multipart boundaries and headers around an upload's file


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int, upload: bool = False) -> None:
        super().__init__(413, detail=too_large(limit, upload))


def too_large(limit: int, upload: bool = False) -> str:
    if upload:
        # An upload's cap is the file's; the slack for the form around it is ours, not theirs.
        size = _size(limit - UPLOAD_SLACK_BYTES)
        return f"the file is larger than {size}, the most this endpoint accepts"
    return f"the request body is larger than {_size(limit)}, the most this endpoint accepts"


def _size(limit: int) -> str:
    return f"{round(limit / 1_000_000, 1):g} MB" if limit >= 1_000_000 else f"{limit // 1000} kB"


class BodyLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int, larger_by_path: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger_by_path = dict(larger_by_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in self.larger_by_path
        limit = self.larger_by_path.get(scope["path"], self.max_bytes)
        declared = _content_length(scope)
        if declared == -1:
            await _answer(send, 400, "Content-Length must be a whole number of bytes")
            return
        if declared is not None and declared > limit:
            await _answer(send, 413, too_large(limit, upload))
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, upload)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # Raised where no exception handler sits (outside a route's body reading).
            if started:
                raise
            await _answer(send, 413, too_large(limit, upload))


def _content_length(scope: Scope) -> int | None:
    """The declared length, None if absent, -1 if it is not a number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else -1
    return None


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
