"""From a vigilance feed document to campaign drafts for the mayors concerned.

Read the document, compare its levels with what this tenant last saw of that feed, and for each
raised, updated or ended level, draft a campaign per commune concerned. A repeated document changes
nothing; an update rewrites the draft it concerns (or, once that was sent, proposes a follow-up).
Nothing is ever sent from here: a person approves each draft.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from contracts.alerts import Campaign, CampaignRequest, CampaignTarget
from contracts.feeds import FeedLevel, KnownLevel, LevelChange, ReachGeometry
from services.alerts import campaign_ops
from services.alerts.drafting import draft_campaign, draft_key
from services.alerts.feeds import (
    FeedError,
    apply_snapshot,
    levels_from_cap,
    levels_from_meteofrance,
    levels_from_vigicrues,
    load_cap_schema,
    parse_cap,
    parse_infovigicru,
    parse_vigilance_map,
)
from services.alerts.feeds.reach_zone import flood_zone, is_near_reach
from services.alerts.store import AlertsStore
from services.common.events import InvalidMessage

FeedKind = Literal["cap", "meteofrance", "vigicrues"]
REACH_BUFFER_M = 500  # who lives this close to a reach in flood is warned


@dataclass(frozen=True)
class ParsedFeed:
    levels: list[FeedLevel]
    reaches: dict[str, ReachGeometry]


def parse_feed(kind: str, content: bytes, cap_schema_path: str | None) -> ParsedFeed:
    try:
        if kind == "cap":
            if not cap_schema_path or not Path(cap_schema_path).is_file():
                raise InvalidMessage(
                    "CAP validation needs the OASIS CAP 1.2 schema: set ALERTS_CAP_SCHEMA to "
                    "the path of CAP-v1.2.xsd"
                )
            alert = parse_cap(content, load_cap_schema(cap_schema_path))
            return ParsedFeed(levels_from_cap(alert), {})
        if kind == "meteofrance":
            return ParsedFeed(levels_from_meteofrance(parse_vigilance_map(content)), {})
        if kind == "vigicrues":
            reaches = parse_infovigicru(content)
            return ParsedFeed(
                levels_from_vigicrues(reaches), {r.reach_id: r.geometry for r in reaches}
            )
    except FeedError as error:
        raise InvalidMessage(f"the {kind} document was refused: {error}") from None
    raise InvalidMessage(f"unknown feed kind {kind!r}: cap, meteofrance or vigicrues")


def concerned_communes(
    feed: FeedLevel,
    communes: Mapping[str, str],
    reach: ReachGeometry | None,
    store: AlertsStore,
    tenant: str,
) -> list[str]:
    """The tenant's communes a level concerns."""
    if feed.area_kind in ("department", "coast"):
        departments = set(feed.area_ids)
        return sorted(c for c in communes if c[:2] in departments or c[:3] in departments)
    if feed.area_kind == "cap_area":
        return sorted(c for c in communes if c in set(feed.area_ids))
    if feed.area_kind == "reach" and reach is not None:
        # The communes where people we alert live near the reach.
        near: set[str] = set()
        for contact in store.contacts(tenant, list(store.all_contact_ids(tenant))):
            location = contact.location
            if (
                contact.commune in communes
                and location is not None
                and is_near_reach(reach, location.lat, location.lon, REACH_BUFFER_M)
            ):
                near.add(contact.commune)
        return sorted(near)
    return []


def _request_for(
    change: LevelChange, code: str, name: str, reach: ReachGeometry | None
) -> CampaignRequest:
    draft = draft_campaign(change, code, name)
    target = CampaignTarget(communes=(code,))
    if reach is not None:
        target = CampaignTarget(
            communes=(code,),
            vigicrues_reach=change.feed.area_ids[0] if change.feed.area_ids else None,
            polygon=flood_zone(reach, REACH_BUFFER_M),
            reach_buffer_m=REACH_BUFFER_M,
        )
    return CampaignRequest(
        title=draft.title,
        message=draft.sms_body,
        voice_message=draft.voice_script,
        severity=draft.severity,
        target=target,
        channels=("sms", "voice"),
    )


def ingest(
    store: AlertsStore,
    tenant: str,
    kind: str,
    content: bytes,
    communes: Mapping[str, str],
    actor: str,
    cap_schema_path: str | None,
) -> tuple[list[Campaign], int]:
    """Drafts written or rewritten, and how many level changes the document carried."""
    parsed = parse_feed(kind, content, cap_schema_path)
    with store.client.lock(f"alerts:{tenant}:feed-lock:{kind}", timeout=60, blocking_timeout=30):
        known = {
            key: KnownLevel.model_validate(item)
            for key, item in json.loads(store.feed_state(tenant, kind) or "{}").items()
        }
        outcome = apply_snapshot(known, parsed.levels)
        store.save_reaches(
            tenant, {rid: geometry.model_dump_json() for rid, geometry in parsed.reaches.items()}
        )
        drafts: list[Campaign] = []
        for change in outcome.changes:
            reach = parsed.reaches.get(change.feed.area_ids[0]) if change.feed.area_ids else None
            for code in concerned_communes(change.feed, communes, reach, store, tenant):
                drafts.append(_draft(store, tenant, change, code, communes[code], reach, actor))
        store.save_feed_state(
            tenant,
            kind,
            json.dumps({k: v.model_dump(mode="json") for k, v in outcome.state.items()}),
        )
    return drafts, len(outcome.changes)


def _draft(
    store: AlertsStore,
    tenant: str,
    change: LevelChange,
    code: str,
    name: str,
    reach: ReachGeometry | None,
    actor: str,
) -> Campaign:
    key = draft_key(change, code)
    request = _request_for(change, code, name, reach)
    existing_id = store.draft_for(tenant, key)
    existing = store.campaign(tenant, existing_id) if existing_id else None
    if existing is not None and existing.status == "draft":
        rewritten = existing.model_copy(
            update={
                "request": request,
                "messages": (
                    existing.messages[0].model_copy(
                        update={"text": request.message, "voice_text": request.voice_message}
                    ),
                ),
            }
        )
        store.save_campaign(rewritten)
        store.audit(tenant, actor, "draft_updated", campaign=rewritten.campaign_id, source=key)
        return rewritten
    campaign = campaign_ops.create_campaign(store, tenant, request, actor, None, source=key)
    store.set_draft_for(tenant, key, campaign.campaign_id)
    return campaign


def content_from(raw: Any) -> bytes:
    if isinstance(raw, bytes):
        return raw
    return str(raw).encode()
