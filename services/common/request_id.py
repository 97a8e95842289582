"""The id of the RPC request a worker is answering, the same when the broker redelivers it.

A broker that lost its connection to a service (a restart, a kill -9) hands the unacknowledged
request to the next consumer: a command that already ran, or is still running in a process cut
off from the broker, would run twice. The AMQP `correlation_id` the caller gave the request is the
same on every delivery; `identified_rpc` puts it in the worker's context and `RequestId` hands it
to the method, which derives the ids of what it creates from it (a second run then finds its
object made and publishes nothing).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

CONTEXT_KEY = "bocage.request_id"


class IdentifiedRpc(Rpc):  # type: ignore[misc]
    def unpack_message_headers(self, message: Any) -> dict[str, Any]:
        data: dict[str, Any] = dict(super().unpack_message_headers(message))
        correlation_id = (message.properties or {}).get("correlation_id")
        if correlation_id:
            data[CONTEXT_KEY] = str(correlation_id)
        return data


identified_rpc = IdentifiedRpc.decorator


class RequestId(DependencyProvider):  # type: ignore[misc]
    """`request_id = RequestId()`: the current request's id, or None (an event, a timer)."""

    def get_dependency(self, worker_ctx: Any) -> str | None:
        found = worker_ctx.data.get(CONTEXT_KEY)
        return None if found is None else str(found)


def object_suffix(request_id: str | None) -> str:
    """8 hex digits for an object's id: from the request when known (stable across
    redeliveries), random otherwise."""
    if request_id is None:
        return uuid.uuid4().hex[:8]
    return hashlib.sha256(request_id.encode()).hexdigest()[:8]
