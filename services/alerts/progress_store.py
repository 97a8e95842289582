"""The campaigns whose progress is watched, and the last progress published for each, in Redis.

Per deployment (`alerts:_:<deployment>:`): a sorted set of watched campaigns (`tenant|id`) scored
by when watching ends, and the outbox the welfare events use. Per campaign
(`alerts:<tenant>:c:<id>:progress:published`): the last progress published and when.

Publishing follows the outbox rule: the event is appended to the outbox in the same MULTI/EXEC as
the record of what was published, under WATCH of that record, so two instances looking at the
same campaign at once publish it once, and an event exists exactly when its record does.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import redis

from contracts.alerts import CampaignProgressUpdated
from services.alerts.progress_events import PublishedProgress
from services.common import outbox
from services.common.events import make_message

PREFIX = "alerts"
EVENT_TYPE = "campaign_progress_updated"
# Long enough to outlive any watch; a record lost earlier only means one more event.
PUBLISHED_TTL_S = 2 * 86400

Decide = Callable[[PublishedProgress | None], CampaignProgressUpdated | None]


class ProgressStore:
    def __init__(self, client: redis.Redis, deployment: str) -> None:
        self.client = client
        self.outbox_prefix = ":".join((PREFIX, "_", deployment))
        self._watched = f"{self.outbox_prefix}:progress:watched"

    @staticmethod
    def _published(tenant: str, campaign_id: str) -> str:
        return ":".join((PREFIX, tenant, "c", campaign_id, "progress", "published"))

    def watch(self, tenant: str, campaign_id: str, until: float) -> None:
        """Look at this campaign until `until` at least (a later watch is kept)."""
        self.client.zadd(self._watched, {f"{tenant}|{campaign_id}": until}, gt=True)

    def unwatch(self, tenant: str, campaign_id: str) -> None:
        self.client.zrem(self._watched, f"{tenant}|{campaign_id}")

    def watched(self, now: float) -> list[tuple[str, str]]:
        """(tenant, campaign id) of every campaign still watched at `now`."""
        self.client.zremrangebyscore(self._watched, "-inf", now)
        members: list[str] = self.client.zrange(self._watched, 0, -1)  # type: ignore[assignment]
        return [(m.split("|", 1)[0], m.split("|", 1)[1]) for m in members]

    def last_published(self, tenant: str, campaign_id: str) -> PublishedProgress | None:
        return _parse(self.client.get(self._published(tenant, campaign_id)))

    def publish(self, tenant: str, campaign_id: str, decide: Decide, now: float) -> bool:
        """Publish `decide(last published)` unless it is None; True when an event was written.
        `decide` runs under WATCH, so what it reads is never older than the record it sees."""
        key = self._published(tenant, campaign_id)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)  # type: ignore[no-untyped-call]
                event = decide(_parse(pipe.get(key)))
                if event is None:
                    pipe.unwatch()
                    return False
                record = {"at": now, "event": event.model_dump(mode="json")}
                pipe.multi()
                pipe.set(key, json.dumps(record), ex=PUBLISHED_TTL_S)
                outbox.append(
                    pipe, self.outbox_prefix, EVENT_TYPE, make_message(event, tenant=tenant)
                )
                pipe.execute()
                return True
            except redis.WatchError:
                return False  # another instance published it just now


def _parse(raw: object) -> PublishedProgress | None:
    if not isinstance(raw, (str, bytes)):
        return None
    record = json.loads(raw)
    return PublishedProgress(
        at=float(record["at"]), event=CampaignProgressUpdated.model_validate(record["event"])
    )
