"""`GET /health`: broker, Redis and each service, checked in parallel under one deadline.

A service counts as "down" when its RPC queue `rpc-<service>` is missing or has no consumer
(asking the broker is instant, and spares us queueing pings nobody will read); otherwise it is
pinged, and "unresponsive" if the ping does not come back in time.

Connections are kept: the queue checks share one broker connection (`BrokerProbe`, opened at the
first check, reopened only after it failed) and the pings go through the ping pool's long-lived
proxies, so a monitor calling `/health` every second opens no connection per call.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from typing import Any, Literal

import pika
import redis
from pika.exceptions import AMQPError, ChannelClosedByBroker
from pydantic import ValidationError

from contracts.gateway import ServiceStatus
from contracts.health import ComponentState, HealthReport, ServicePing
from services.gateway.rpc import RpcPool, ServiceFailed, ServiceUnavailable

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_S = 0.8
DEADLINE_S = 1.8  # the whole answer, under the 2 s promise
CONNECTION_NAME = "bocage-gateway-health"


def rpc_queue(service: str) -> str:
    return f"rpc-{service}"


class BrokerProbe:
    """Consumers on each RPC queue, over one kept connection (one check at a time).

    pika's blocking connection is not thread-safe, hence the lock; checks take milliseconds.
    Heartbeats are off (nothing would answer them between checks): a connection the broker
    dropped fails at its next use, and that check retries once on a fresh connection.
    """

    def __init__(self, amqp_uri: str, services: tuple[str, ...]) -> None:
        self.params = pika.URLParameters(amqp_uri)
        self.params.connection_attempts = 1
        self.params.socket_timeout = BROKER_TIMEOUT_S
        self.params.stack_timeout = BROKER_TIMEOUT_S
        self.params.blocked_connection_timeout = BROKER_TIMEOUT_S
        self.params.heartbeat = 0
        self.params.client_properties = {"connection_name": CONNECTION_NAME}
        self.services = services
        self._lock = threading.Lock()
        self._connection: pika.BlockingConnection | None = None
        self._channel: Any = None
        self.opened = 0  # connections opened so far

    def consumer_counts(self) -> dict[str, int] | ComponentState:
        """Consumers on each service's RPC queue (0 when the queue is missing), or "down"."""
        with self._lock:
            reused = self._connection is not None and self._connection.is_open
            try:
                return self._counts()
            except (AMQPError, OSError) as error:
                self._drop()
                if not reused:
                    logger.warning("health: broker unreachable at %s: %s", self.params.host, error)
                    return "down"
            try:  # the kept connection had gone stale: once more, on a fresh one
                return self._counts()
            except (AMQPError, OSError) as error:
                self._drop()
                logger.warning("health: broker unreachable at %s: %s", self.params.host, error)
                return "down"

    def _counts(self) -> dict[str, int]:
        if self._connection is None or not self._connection.is_open:
            self._connection = pika.BlockingConnection(self.params)
            self._channel = None
            self.opened += 1
        counts: dict[str, int] = {}
        for service in self.services:
            if self._channel is None or not self._channel.is_open:
                self._channel = self._connection.channel()
            try:
                method = self._channel.queue_declare(rpc_queue(service), passive=True)
                counts[service] = method.method.consumer_count
            except ChannelClosedByBroker:  # no such queue; the broker closed this channel
                counts[service] = 0
                self._channel = None
        return counts

    def _drop(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(AMQPError, OSError):
                connection.close()

    def close(self) -> None:
        with self._lock:
            self._drop()


class HealthChecker:
    def __init__(
        self, amqp_uri: str, redis_client: redis.Redis, pings: RpcPool, services: tuple[str, ...]
    ) -> None:
        self.amqp_uri = amqp_uri
        self.broker = BrokerProbe(amqp_uri, services)
        self.redis = redis_client
        self.pings = pings
        self.services = services
        # Enough threads for every check of two overlapping requests; checks are short.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            2 * (len(services) + 2), thread_name_prefix="health"
        )

    def check(self) -> HealthReport:
        deadline = time.monotonic() + DEADLINE_S
        redis_future = self._executor.submit(self._redis_state)
        broker, statuses = self._probe_services(deadline)
        redis_state: ComponentState = _result(redis_future, deadline, default="unresponsive")
        services = {name: status.state for name, status in statuses.items()}
        parts = [broker, redis_state, *services.values()]
        overall: Literal["ok", "degraded"] = (
            "ok" if all(state == "ok" for state in parts) else "degraded"
        )
        return HealthReport(status=overall, broker=broker, redis=redis_state, services=services)

    def service_statuses(self) -> list[ServiceStatus]:
        _, statuses = self._probe_services(time.monotonic() + DEADLINE_S)
        return list(statuses.values())

    def _probe_services(self, deadline: float) -> tuple[ComponentState, dict[str, ServiceStatus]]:
        counts = _result(
            self._executor.submit(self.broker.consumer_counts), deadline, default="unresponsive"
        )
        if isinstance(counts, str):
            detail = f"message broker is {counts}"
            return counts, {
                name: ServiceStatus(name=name, state="down", detail=detail)
                for name in self.services
            }
        futures = {
            name: self._executor.submit(self._ping, name)
            for name in self.services
            if counts.get(name, 0) > 0
        }
        statuses = {}
        for name in self.services:
            if name not in futures:
                statuses[name] = ServiceStatus(
                    name=name, state="down", detail=f"no consumer on queue {rpc_queue(name)}"
                )
                continue
            late = ServiceStatus(name=name, state="unresponsive", detail="ping timed out")
            statuses[name] = _result(futures[name], deadline, default=late)
        return "ok", statuses

    def _redis_state(self) -> ComponentState:
        try:
            self.redis.ping()
        except redis.TimeoutError:
            return "unresponsive"
        except redis.RedisError:
            return "down"
        return "ok"

    def _ping(self, service: str) -> ServiceStatus:
        try:
            answer = ServicePing.model_validate(self.pings.call(service, "ping"))
        except ServiceUnavailable as error:
            return ServiceStatus(name=service, state="unresponsive", detail=error.reason)
        except ServiceFailed as error:
            return ServiceStatus(name=service, state="error", detail=str(error))
        except ValidationError as error:
            return ServiceStatus(name=service, state="error", detail=f"odd ping answer: {error}")
        return ServiceStatus(
            name=service,
            state="ok",
            version=answer.version,
            uptime_s=answer.uptime_s,
            redis=answer.redis,
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.broker.close()


def _result[T](future: concurrent.futures.Future[T], deadline: float, default: T) -> T:
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except concurrent.futures.TimeoutError:
        return default
