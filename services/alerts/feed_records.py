"""Redis records of the feed intake beyond levels: the tenant's commune boundaries, and the
outcome of each ingest for the console.

  alerts:<tenant>:commune-boundaries  GeoJSON FeatureCollection (code, nom) of the tenant's communes
  alerts:<tenant>:feed-ingests        list of FeedIngestRecord JSON, newest first, the last 20
"""

from __future__ import annotations

from typing import Any

from contracts.feeds import FeedIngestRecord

PREFIX = "alerts"
KEPT_INGESTS = 20


def _key(tenant: str, name: str) -> str:
    return f"{PREFIX}:{tenant}:{name}"


def save_boundaries(client: Any, tenant: str, geojson: str) -> None:
    client.set(_key(tenant, "commune-boundaries"), geojson)


def boundaries(client: Any, tenant: str) -> str | None:
    raw = client.get(_key(tenant, "commune-boundaries"))
    return raw.decode() if isinstance(raw, bytes) else raw


def record_ingest(client: Any, tenant: str, record: FeedIngestRecord) -> None:
    with client.pipeline(transaction=True) as pipe:
        pipe.lpush(_key(tenant, "feed-ingests"), record.model_dump_json())
        pipe.ltrim(_key(tenant, "feed-ingests"), 0, KEPT_INGESTS - 1)
        pipe.execute()


def recent_ingests(client: Any, tenant: str, count: int = KEPT_INGESTS) -> list[FeedIngestRecord]:
    raw = client.lrange(_key(tenant, "feed-ingests"), 0, max(count, 1) - 1)
    return [FeedIngestRecord.model_validate_json(item) for item in raw]
