"""Outgoing webhooks (status callbacks, TwiML fetches, inbound SMS), signed as Twilio signs them,
sent off the request path: a bounded pool of workers drains a queue of jobs, so accepting a message
never waits on anybody's HTTP server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx

from .config import SandboxConfig
from .signing import SIGNATURE_HEADER, signature

log = logging.getLogger("twilio_sandbox.webhooks")

Job = Callable[[], Awaitable[None]]


class Webhooks:
    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._spawned: set[asyncio.Task[Any]] = set()
        self._client: httpx.AsyncClient | None = None
        self._http_slots = asyncio.Semaphore(config.callback_workers)

    async def start(self) -> None:
        limits = httpx.Limits(max_connections=self._config.callback_workers)
        self._client = httpx.AsyncClient(
            timeout=self._config.callback_timeout,
            limits=limits,
            headers={"User-Agent": "TwilioProxy/1.1"},
        )
        self._workers = [
            asyncio.create_task(self._work(), name=f"webhook-worker-{i}")
            for i in range(self._config.callback_workers)
        ]

    async def stop(self) -> None:
        for task in [*self._workers, *self._spawned]:
            task.cancel()
        await asyncio.gather(*self._workers, *self._spawned, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def submit(self, job: Job) -> None:
        """Queue a job for the worker pool: cheap, never blocks."""
        self._queue.put_nowait(job)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a long job (a call waiting for a keypress) apart: it must not hold a worker."""
        task = asyncio.create_task(coroutine)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    def clear(self) -> None:
        """Forget queued jobs and running calls (on reset): they belong to state that is gone."""
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
        for task in list(self._spawned):
            task.cancel()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await job()
            except Exception:  # a broken job must not take a worker down with it
                log.exception("webhook job failed")
            finally:
                self._queue.task_done()

    async def post(self, url: str, params: dict[str, str]) -> httpx.Response | None:
        """POST form params signed with X-Twilio-Signature; retry on connection errors only (the
        receiver answered, even badly, so it got it). None when it never could be reached."""
        assert self._client is not None, "Webhooks.start() was not awaited"
        headers = {SIGNATURE_HEADER: signature(self._config.auth_token, url, params)}
        attempts = 1 + max(0, self._config.callback_retries)
        for attempt in range(attempts):
            try:
                async with self._http_slots:
                    return await self._client.post(url, data=params, headers=headers)
            except httpx.TransportError as exc:
                if attempt + 1 == attempts:
                    log.warning("webhook %s unreachable after %d attempts: %s", url, attempts, exc)
                    return None
                await asyncio.sleep(0.1 * 2**attempt)
        return None
