"""Calls to the nameko services from a plain (not monkey-patched) threaded process.

nameko's standalone `ClusterRpcProxy` is single-threaded: it polls its own reply queue on its own
connection. The pool therefore owns a fixed set of worker threads, each with its own started
proxy, never shared; a call is handed to a worker and awaited with a hard deadline, so a caller
never hangs even if the broker stalls. Owning the threads (rather than borrowing the web server's)
bounds the number of broker connections and lets `close()` stop every one of them.
nameko stays inside this module: callers see `ServiceUnavailable` and `ServiceFailed`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any

from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy
from pydantic import BaseModel, ValidationError

logger = logging.getLogger(__name__)
# What a dead or unreachable broker looks like from kombu, amqp and sockets; RuntimeError is what
# nameko raises when a proxy's connection dropped between two calls.
_BROKER_ERRORS: tuple[type[BaseException], ...] = (OSError, KombuError, AMQPError, RuntimeError)
# Slack over the RPC timeout before the caller gives up on a stuck worker.
_DEADLINE_GRACE_S = 1.0


class ServiceUnavailable(Exception):
    """The service could not be reached, or did not answer in time. Maps to 503."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"service {service!r} is unavailable: {reason}")
        self.service = service
        self.reason = reason


class ServiceFailed(Exception):
    """The service answered with an error (`exc_type` is the remote exception's class name)."""

    def __init__(self, service: str, exc_type: str, message: str) -> None:
        super().__init__(f"{service}: {exc_type}: {message}")
        self.service = service
        self.exc_type = exc_type
        self.message = message


def expect[ModelT: BaseModel](service: str, model: type[ModelT], answer: Any) -> ModelT:
    """Read a service's answer as `model`; a mismatch is the service's fault (502)."""
    try:
        return model.model_validate(answer)
    except ValidationError as error:
        raise ServiceFailed(service, "UnexpectedAnswer", str(error)) from None


class RpcPool:
    def __init__(
        self, amqp_uri: str, timeout_s: float, workers: int = 8, name: str = "rpc"
    ) -> None:
        self.config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        self.timeout_s = timeout_s
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix=name)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._runners: set[ClusterRpcProxy] = set()

    def call(self, service: str, method: str, *args: Any, timeout_s: float | None = None) -> Any:
        """Call `service.method(*args)`; raise ServiceUnavailable or ServiceFailed.

        `timeout_s` overrides the pool's timeout for this call only (a round solve runs for its
        own time limit); such calls use a proxy of their own, kept per thread and per timeout.
        """
        timeout = self.timeout_s if timeout_s is None else timeout_s
        try:
            future = self._executor.submit(self._call_in_worker, service, method, args, timeout)
        except RuntimeError:  # the pool is shut down: the app is stopping
            raise ServiceUnavailable(service, "the gateway is shutting down") from None
        try:
            return future.result(timeout=timeout + _DEADLINE_GRACE_S)
        except concurrent.futures.TimeoutError:
            raise ServiceUnavailable(service, f"no answer within {timeout:g} s") from None

    async def call_async(
        self, service: str, method: str, *args: Any, timeout_s: float | None = None
    ) -> Any:
        """`call` for an async route: awaits the pool's worker without holding a thread of the
        web server, so a long call (a round solve) takes nothing from the other routes."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        try:
            future = self._executor.submit(self._call_in_worker, service, method, args, timeout)
        except RuntimeError:
            raise ServiceUnavailable(service, "the gateway is shutting down") from None
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), timeout=timeout + _DEADLINE_GRACE_S
            )
        except TimeoutError:
            raise ServiceUnavailable(service, f"no answer within {timeout:g} s") from None

    def _call_in_worker(
        self, service: str, method: str, args: tuple[Any, ...], timeout: float
    ) -> Any:
        try:
            return getattr(self._cluster(timeout)[service], method)(*args)
        except RemoteError as error:
            raise ServiceFailed(service, error.exc_type, str(error.value)) from None
        except RpcTimeout:
            self._discard(timeout)
            raise ServiceUnavailable(service, f"no answer within {timeout:g} s") from None
        except UnknownService:
            raise ServiceUnavailable(service, "no such service on the broker") from None
        except _BROKER_ERRORS as error:
            self._discard(timeout)
            raise ServiceUnavailable(service, f"message broker unreachable ({error})") from None

    def _proxies(self) -> dict[float, tuple[ClusterRpcProxy, Any]]:
        # This thread's started proxies by timeout: nameko sets the timeout per proxy.
        proxies: dict[float, tuple[ClusterRpcProxy, Any]] | None = getattr(
            self._local, "proxies", None
        )
        if proxies is None:
            proxies = self._local.proxies = {}
        return proxies

    def _cluster(self, timeout: float) -> Any:
        proxies = self._proxies()
        if timeout not in proxies:
            # At most one proxy besides the default per thread, so that callers choosing many
            # different timeouts cannot pile up broker connections.
            for other in [t for t in proxies if t != self.timeout_s]:
                self._discard(other)
            runner = ClusterRpcProxy(self.config, timeout=timeout)
            cluster = runner.start()
            with self._lock:
                self._runners.add(runner)
            proxies[timeout] = (runner, cluster)
        return proxies[timeout][1]

    def _discard(self, timeout: float) -> None:
        # After a timeout or a broken connection, a late reply may still arrive on the old reply
        # queue: drop this thread's proxy (its exclusive queue goes with it); the next call starts
        # a fresh one.
        found = self._proxies().pop(timeout, None)
        if found is not None:
            with self._lock:
                self._runners.discard(found[0])
            _stop(found[0])

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            runners, self._runners = self._runners, set()
        for runner in runners:
            _stop(runner)


def _stop(runner: ClusterRpcProxy) -> None:
    try:
        runner.stop()
    except Exception:
        logger.debug("stopping an RPC proxy failed", exc_info=True)
