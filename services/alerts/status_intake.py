"""Status callbacks the status receiver deferred to the service, mixed into `AlertsService`.

The receiver (`status_receiver.py`) records most status callbacks itself and writes the rest
(an SMS that did not arrive, call statuses, notices' receipts) to a Redis stream; this timer
applies them exactly as the `twilio_webhook` RPC does, signature checked again. Every instance
reads the stream in one consumer group, so each entry goes to one of them; an entry is
acknowledged once applied, and one left unacknowledged by an instance that died is claimed by
another after `CLAIM_IDLE_MS`. Applying a status is idempotent (the recipient's state is set,
not added to), so an entry applied twice changes nothing more. An entry that cannot be applied
(forged, unreadable) is moved to the stream's `:rejected` twin with its reason, never retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from nameko.timer import timer

from services.alerts.dependencies import EngineHandle
from services.alerts.sender import instance_name
from services.alerts.status_batch import STREAM_GROUP, callback_from_fields, stream_key
from services.alerts.store import AlertsStore
from services.common.errors import Forbidden
from services.common.events import InvalidMessage

log = logging.getLogger(__name__)

BATCH = 200
CLAIM_IDLE_MS = 30_000
REJECTED_MAX = 10_000  # the newest rejected entries are kept for a look, not forever
CONSUMER = instance_name()  # this process, in the stream's consumer group


class StatusIntake:
    store: AlertsStore
    engine: EngineHandle
    twilio_webhook: Callable[..., dict[str, Any]]  # the service's RPC, applied as it is

    @timer(interval=0.5)
    def apply_deferred_statuses(self) -> None:
        client = self.store.client
        stream = stream_key(self.store.deployment)
        consumer = CONSUMER
        try:  # every time: a Redis that lost its data has lost the group too
            client.xgroup_create(stream, STREAM_GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        # Entries a dead instance read and never acknowledged, then new ones.
        _, stale, _ = client.xautoclaim(  # type: ignore[misc]
            stream, STREAM_GROUP, consumer, CLAIM_IDLE_MS, count=BATCH
        )
        fresh = client.xreadgroup(STREAM_GROUP, consumer, {stream: ">"}, count=BATCH)
        entries = list(stale) + [e for _, batch in fresh or [] for e in batch]  # type: ignore[union-attr]
        for entry_id, fields in entries:
            self._apply_deferred(stream, entry_id, fields)

    def _apply_deferred(self, stream: str, entry_id: str, fields: dict[str, Any]) -> None:
        client = self.store.client
        try:
            callback = callback_from_fields(fields)
            self.twilio_webhook("status", callback.url, callback.params, callback.signature)
        except (ValueError, Forbidden, InvalidMessage) as error:
            log.warning("deferred status callback %s rejected: %s", entry_id, error)
            client.xadd(f"{stream}:rejected", {**fields, "reason": str(error)},
                        maxlen=REJECTED_MAX, approximate=True)  # fmt: skip
        client.xack(stream, STREAM_GROUP, entry_id)
        client.xdel(stream, entry_id)
