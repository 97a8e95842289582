"""`GET /health`: broker, Redis and each service, checked in parallel under one deadline.

A service counts as "down" when its RPC queue `rpc-<service>` is missing or has no consumer
(asking the broker is instant, and spares us queueing pings nobody will read); otherwise it is
pinged, and "unresponsive" if the ping does not come back in time.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import time
from typing import Literal, TypeVar

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


def rpc_queue(service: str) -> str:
    return f"rpc-{service}"


class HealthChecker:
    def __init__(
        self, amqp_uri: str, redis_client: redis.Redis, pings: RpcPool, services: tuple[str, ...]
    ) -> None:
        self.amqp_uri = amqp_uri
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
            self._executor.submit(self._consumer_counts), deadline, default="unresponsive"
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

    def _consumer_counts(self) -> dict[str, int] | ComponentState:
        """Consumers on each service's RPC queue (0 when the queue is missing), or "down"."""
        params = pika.URLParameters(self.amqp_uri)
        params.connection_attempts = 1
        params.socket_timeout = BROKER_TIMEOUT_S
        params.stack_timeout = BROKER_TIMEOUT_S
        params.blocked_connection_timeout = BROKER_TIMEOUT_S
        try:
            connection = pika.BlockingConnection(params)
        except (AMQPError, OSError) as error:
            logger.warning("health: broker unreachable at %s: %s", params.host, error)
            return "down"
        counts: dict[str, int] = {}
        try:
            for service in self.services:
                # A passive declare of a missing queue closes the channel: one channel each.
                channel = connection.channel()
                try:
                    method = channel.queue_declare(rpc_queue(service), passive=True)
                    counts[service] = method.method.consumer_count
                    channel.close()
                except ChannelClosedByBroker:
                    counts[service] = 0
        except (AMQPError, OSError) as error:
            logger.warning("health: broker failed while checking queues: %s", error)
            return "error"
        finally:
            with contextlib.suppress(AMQPError, OSError):
                connection.close()
        return counts

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


T = TypeVar("T")


def _result(future: concurrent.futures.Future[T], deadline: float, default: T) -> T:
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except concurrent.futures.TimeoutError:
        return default
