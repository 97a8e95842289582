"""The status-callback receiver: the provider's status callbacks, thousands a second, taken in by a
process of their own.

    python -m services.alerts.status_receiver      (ALERTS_RECEIVER_PORT, default 8090)

It answers `POST /webhooks/twilio/status` exactly as the gateway's route does (204; 400 without a
signature, 403 when the signature does not match our account, 413, 415), so a deployment points
the provider's status callbacks at it (`ALERTS_STATUS_BASE_URL` on the senders) or routes that one
path to it. It is a bare ASGI app on uvicorn: no framework, no RPC, nothing but the check and the
store, which is what lets one process take 1,000 callbacks a second (`bench/gateway.py`).

Group commit: every callback that arrives while a batch is being written waits for the next one,
and each batch is one Redis script (`status_batch.py`) plus, for the few callbacks the alerts
service must judge, one pipelined write to its stream. A request is answered once its batch is
stored, so a 204 means the status is recorded (or queued for the service), and a Redis failure
answers 503: the provider retries, nothing is lost silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import redis.asyncio as aioredis
from twilio.request_validator import RequestValidator

from services.alerts.keys import receipts_due_key
from services.alerts.status_batch import (
    APPLY_SCRIPT,
    StatusCallback,
    apply_arguments,
    stream_fields,
    stream_key,
)
from services.alerts.webhooks import NotACallbackUrl, RecipientRef, recipient_in
from services.common.settings import deployment_of, load_settings

log = logging.getLogger("services.alerts.status_receiver")

PATH = "/webhooks/twilio/status"
MAX_FORM_BYTES = 64_000
MAX_BATCH = 1000
STORE_TIMEOUT_S = 5.0
SIGNATURE_HEADER = b"x-twilio-signature"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class StoreUnavailable(Exception):
    pass


class StatusWriter:
    """Writes callbacks in batches: whoever arrives while a batch is stored joins the next."""

    def __init__(self, client: aioredis.Redis, deployment: str) -> None:
        self.client = client
        self.stream = stream_key(deployment)
        self.receipts_due = receipts_due_key(deployment)
        self.apply = client.register_script(APPLY_SCRIPT)
        self.waiting: list[tuple[StatusCallback, RecipientRef | None, asyncio.Future[None]]]
        self.waiting = []
        self.writing = False

    async def store(self, callback: StatusCallback, recipient: RecipientRef | None) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((callback, recipient, done))
        if not self.writing:
            self.writing = True
            asyncio.get_running_loop().create_task(self._write_all())
        await asyncio.wait_for(asyncio.shield(done), STORE_TIMEOUT_S)

    async def _write_all(self) -> None:
        try:
            await asyncio.sleep(0)  # the requests read in this turn of the loop join the batch
            while self.waiting:
                batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
                try:
                    await self._write(batch)
                except Exception as error:  # Redis away: each request answers 503
                    log.warning("could not store %d status callbacks: %s", len(batch), error)
                    failure = StoreUnavailable(f"the alerts store is unreachable ({error})")
                    for _, _, done in batch:
                        if not done.done():
                            done.set_exception(failure)
                    continue
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self.writing = False

    async def _write(
        self, batch: list[tuple[StatusCallback, RecipientRef | None, asyncio.Future[None]]]
    ) -> None:
        ours = [(c, r) for c, r, _ in batch if r is not None]
        deferred = [c for c, r, _ in batch if r is None]
        if ours:
            outcomes = await self.apply(
                keys=[self.receipts_due], args=apply_arguments([(r, c.params) for c, r in ours])
            )
            deferred += [c for (c, _), outcome in zip(ours, outcomes, strict=True)
                         if outcome == "defer"]  # fmt: skip
        if deferred:
            async with self.client.pipeline(transaction=False) as pipe:
                for callback in deferred:
                    pipe.xadd(self.stream, stream_fields(callback))  # type: ignore[arg-type]
                await pipe.execute()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _answer(send: Send, status: int, detail: str | None = None) -> None:
    body = b"" if detail is None else json.dumps({"detail": detail}).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None once it passes MAX_FORM_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


class StatusReceiver:
    """The ASGI app. Configured from the environment when uvicorn starts it (lifespan)."""

    def __init__(self) -> None:
        self.validator: RequestValidator | None = None
        self.public_base = ""
        self.writer: StatusWriter | None = None
        self.client: aioredis.Redis | None = None

    def configure(
        self, auth_token: str, public_base: str, client: aioredis.Redis, deployment: str
    ) -> None:
        self.validator = RequestValidator(auth_token)
        self.public_base = public_base.rstrip("/")
        self.client = client
        self.writer = StatusWriter(client, deployment)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self.writer is None:
                        self.configure_from_environment()
                except Exception as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def configure_from_environment(self) -> None:
        token = os.environ.get("TWILIO_AUTH_TOKEN")
        if not token:
            raise RuntimeError("TWILIO_AUTH_TOKEN is not set: no signature could be checked")
        base = os.environ.get("ALERTS_STATUS_BASE_URL") or os.environ.get("ALERTS_PUBLIC_BASE_URL")
        if not base:
            raise RuntimeError(
                "ALERTS_STATUS_BASE_URL (or ALERTS_PUBLIC_BASE_URL) is not set: the provider "
                "signs the URL it calls, so the receiver must know it"
            )
        settings = load_settings()
        client = aioredis.Redis.from_url(
            settings.redis_url, decode_responses=True, socket_connect_timeout=3, socket_timeout=10
        )
        self.configure(token, base, client, deployment_of(settings.amqp_uri))

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/health" and method == "GET":
            await self._health(send)
            return
        if path != PATH:
            await _answer(send, 404, f"nothing here: status callbacks go to POST {PATH}")
            return
        if method != "POST":
            await _answer(send, 405, "status callbacks are POSTed")
            return
        signature = _header(scope, SIGNATURE_HEADER)
        if not signature:
            await _answer(send, 400, "no X-Twilio-Signature header")
            return
        media = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if media != "application/x-www-form-urlencoded":
            await _answer(send, 415, "expected application/x-www-form-urlencoded")
            return
        body = await _read_body(receive)
        if body is None:
            await _answer(send, 413, "the form is too large")
            return
        await self._take(scope, body, signature, send)

    async def _take(self, scope: Scope, body: bytes, signature: str, send: Send) -> None:
        assert self.validator is not None and self.writer is not None
        # Twilio sends each field once; blank values are signed too, so they are kept.
        params = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        query = scope["query_string"].decode("latin-1")
        url = f"{self.public_base}{PATH}?{query}" if query else f"{self.public_base}{PATH}"
        if not self.validator.validate(url, params, signature):
            await _answer(send, 403, "the signature does not match: not from our provider account")
            return
        try:
            recipient = recipient_in(query)
        except NotACallbackUrl as error:
            await _answer(send, 400, str(error))
            return
        try:
            await self.writer.store(StatusCallback(url, params, signature), recipient)
        except (StoreUnavailable, TimeoutError) as error:
            await _answer(send, 503, str(error) or "the alerts store did not answer in time")
            return
        await _answer(send, 204)

    async def _health(self, send: Send) -> None:
        try:
            assert self.client is not None
            await self.client.ping()
        except Exception as error:
            await _answer(send, 503, f"redis: {error}")
            return
        body = b'{"status":"ok"}'
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


app = StatusReceiver()


def main() -> None:
    import uvicorn

    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
    uvicorn.run(
        "services.alerts.status_receiver:app",
        host=os.environ.get("ALERTS_RECEIVER_HOST", "0.0.0.0"),
        port=int(os.environ.get("ALERTS_RECEIVER_PORT", "8090")),
        workers=int(os.environ.get("ALERTS_RECEIVER_WORKERS", "1")),
        access_log=False,
        log_level="warning",
        lifespan="on",
    )


if __name__ == "__main__":
    main()
