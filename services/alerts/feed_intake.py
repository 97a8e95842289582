"""From a vigilance feed document to campaign drafts for the mayors concerned, and what became
of each alert it carried.

Read the document, compare its levels with what this tenant last saw of that feed, and for each
raised, updated or ended level, draft a campaign per commune concerned. A repeated document changes
nothing; an update rewrites the draft it concerns (or, once that was sent, proposes a follow-up).
Nothing is ever sent from here: a person approves each draft.

Every alert of the document gets an outcome: drafted (for which communes), no change, not
concerning this territory (area outside, level too low, test or exercise, scope), or rejected
(why). The outcomes are kept (`feed_records`) for the mayors' console.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.alerts import Campaign, CampaignRequest, CampaignTarget
from contracts.feeds import (
    FeedIngestRecord,
    FeedItemOutcome,
    FeedLevel,
    KnownLevel,
    LevelChange,
    ReachGeometry,
)
from services.alerts import campaign_ops, feed_records
from services.alerts.drafting import draft_campaign, draft_key
from services.alerts.feed_areas import Concern, concern
from services.alerts.feeds import (
    FeedError,
    apply_snapshot,
    levels_from_cap,
    levels_from_meteofrance,
    levels_from_vigicrues,
    load_cap_schema,
    parse_infovigicru,
    parse_vigilance_map,
)
from services.alerts.feeds.cap_documents import read_cap_document
from services.alerts.feeds.levels import ACTIVE, cap_not_drafted
from services.alerts.feeds.reach_zone import flood_zone, is_near_reach
from services.alerts.store import AlertsStore
from services.alerts.territory import (
    Territory,
    TerritoryError,
    communes_from_geojson,
    territory,
)
from services.common.events import InvalidMessage

REACH_BUFFER_M = 500  # who lives this close to a reach in flood is warned
FEED_KINDS = ("cap", "meteofrance", "vigicrues")


@dataclass(frozen=True)
class ParsedFeed:
    levels: list[FeedLevel]
    reaches: dict[str, ReachGeometry]
    # Alerts judged before any level: rejected messages, tests, exercises, restricted scope.
    judged: list[FeedItemOutcome] = field(default_factory=list)


@dataclass(frozen=True)
class IngestResult:
    drafts: list[Campaign]
    changes: int
    record: FeedIngestRecord


def parse_feed(kind: str, content: bytes, cap_schema_path: str | None) -> ParsedFeed:
    try:
        if kind == "cap":
            if not cap_schema_path or not Path(cap_schema_path).is_file():
                raise InvalidMessage(
                    "CAP validation needs the OASIS CAP 1.2 schema: set ALERTS_CAP_SCHEMA to "
                    "the path of CAP-v1.2.xsd"
                )
            return _parse_cap(content, load_cap_schema(cap_schema_path))
        if kind == "meteofrance":
            return ParsedFeed(levels_from_meteofrance(parse_vigilance_map(content)), {})
        if kind == "vigicrues":
            reaches = parse_infovigicru(content)
            return ParsedFeed(
                levels_from_vigicrues(reaches), {r.reach_id: r.geometry for r in reaches}
            )
    except FeedError as error:
        raise InvalidMessage(f"the {kind} document was refused: {error}") from None
    raise InvalidMessage(f"unknown feed kind {kind!r}: {', '.join(FEED_KINDS)}")


def _parse_cap(content: bytes, schema: Any) -> ParsedFeed:
    levels: list[FeedLevel] = []
    judged: list[FeedItemOutcome] = []
    messages = read_cap_document(content, schema)
    if all(m.alert is None for m in messages):
        # Nothing readable: the document as a whole is refused (one message, or all of them).
        reasons = "; ".join(
            m.error if m.where == "the document" else f"{m.where}: {m.error}" for m in messages[:3]
        )
        raise FeedError(reasons or "the document carries no CAP message")
    for message in messages:
        alert = message.alert
        if alert is None:
            judged.append(
                FeedItemOutcome(
                    key=message.where,
                    label=f"message CAP ({message.where})",
                    outcome="rejected",
                    reason=message.error,
                )
            )
            continue
        label = _cap_label(alert.sender, alert.identifier, [i.event for i in alert.infos])
        skipped = cap_not_drafted(alert)
        if skipped is not None:
            judged.append(
                FeedItemOutcome(
                    key=f"cap:{alert.sender}:{alert.identifier}",
                    label=label,
                    outcome="not_concerned",
                    why=skipped[0],
                    reason=skipped[1],
                )
            )
            continue
        found = levels_from_cap(alert)
        if not found:
            judged.append(
                FeedItemOutcome(
                    key=f"cap:{alert.sender}:{alert.identifier}",
                    label=label,
                    outcome="not_concerned",
                    why="no_area",
                    reason="message sans <info> : ni phénomène ni zone à lire",
                )
            )
        levels += found
    return ParsedFeed(levels, {}, judged)


def _cap_label(sender: str, identifier: str, events: list[str]) -> str:
    event = events[0] if events else "alerte"
    return f"{event} (CAP {sender} {identifier})"


def load_territory(
    store: AlertsStore, tenant: str, communes: Mapping[str, str]
) -> Territory | None:
    """The tenant's communes with the boundaries `bocage tenant communes` stored, if any."""
    raw = feed_records.boundaries(store.client, tenant)
    if not raw:
        return None
    try:
        known = communes_from_geojson(json.loads(raw))
    except (TerritoryError, ValueError):
        return None  # stored by our own command; a damaged record is as good as none
    return territory(c for c in known if c.code in communes)


def ingest(
    store: AlertsStore,
    tenant: str,
    kind: str,
    content: bytes,
    communes: Mapping[str, str],
    actor: str,
    cap_schema_path: str | None,
) -> IngestResult:
    """Drafts written or rewritten, how many level changes the document carried, and the outcome
    of each alert (also recorded for the console)."""
    parsed = parse_feed(kind, content, cap_schema_path)
    where = load_territory(store, tenant, communes)
    outcomes = list(parsed.judged)
    quiet = 0
    with store.client.lock(f"alerts:{tenant}:feed-lock:{kind}", timeout=60, blocking_timeout=30):
        known = {
            key: KnownLevel.model_validate(item)
            for key, item in json.loads(store.feed_state(tenant, kind) or "{}").items()
        }
        outcome = apply_snapshot(known, parsed.levels)
        store.save_reaches(
            tenant, {rid: geometry.model_dump_json() for rid, geometry in parsed.reaches.items()}
        )
        changes_by_key = {change.feed.key: change for change in outcome.changes}
        drafts: list[Campaign] = []
        for level in parsed.levels:
            change = changes_by_key.get(level.key)
            feed = change.feed if change is not None else level
            reach = parsed.reaches.get(feed.area_ids[0]) if feed.area_ids else None
            found = _concern(store, tenant, feed, communes, where, reach, change is not None)
            item = _judge(feed, change, found)
            if item is None:
                quiet += 1
                continue
            if item.outcome == "drafted" and change is not None:
                for code in found.communes:
                    drafts.append(_draft(store, tenant, change, code, communes[code], reach, actor))
            outcomes.append(item)
        store.save_feed_state(
            tenant,
            kind,
            json.dumps({k: v.model_dump(mode="json") for k, v in outcome.state.items()}),
        )
    record = FeedIngestRecord(
        ingest_id=uuid.uuid4().hex,
        kind=kind,
        actor=actor,
        received_at=datetime.now(UTC),
        outcomes=tuple(outcomes),
        quiet_elsewhere=quiet,
    )
    feed_records.record_ingest(store.client, tenant, record)
    return IngestResult(drafts, len(outcome.changes), record)


def _concern(
    store: AlertsStore,
    tenant: str,
    feed: FeedLevel,
    communes: Mapping[str, str],
    where: Territory | None,
    reach: ReachGeometry | None,
    changed: bool,
) -> Concern:
    if feed.area_kind == "reach" and where is None:
        if feed.level < ACTIVE and not changed:
            return Concern((), "area_outside", "")  # a quiet reach: no need to look further
        return _reach_by_contacts(store, tenant, feed, communes, reach)
    return concern(feed, communes, where, reach, REACH_BUFFER_M)


def _reach_by_contacts(
    store: AlertsStore,
    tenant: str,
    feed: FeedLevel,
    communes: Mapping[str, str],
    reach: ReachGeometry | None,
) -> Concern:
    """Without boundaries: the communes where people we alert live near the reach."""
    if reach is None:
        return Concern((), "no_area", "tracé du tronçon inconnu")
    near: set[str] = set()
    for contact in store.contacts(tenant, list(store.all_contact_ids(tenant))):
        location = contact.location
        if (
            contact.commune in communes
            and location is not None
            and is_near_reach(reach, location.lat, location.lon, REACH_BUFFER_M)
        ):
            near.add(contact.commune)
    if near:
        return Concern(tuple(sorted(near)))
    return Concern(
        (), "area_outside", f"tronçon {feed.area_label} : aucun contact placé près du tronçon"
    )


def _judge(feed: FeedLevel, change: LevelChange | None, found: Concern) -> FeedItemOutcome | None:
    """The outcome of one item; None for a quiet (vert) item elsewhere, only counted."""
    label = _label(feed)
    base = {
        "key": feed.key,
        "label": label,
        "level": 1 if feed.cancelled else feed.level,
        "source_language": feed.language,
    }
    ending = change is not None and change.kind == "ended"
    if feed.level < ACTIVE and not ending:
        if not found.communes and feed.source != "cap":
            return None
        return FeedItemOutcome(
            **base,
            outcome="not_concerned",
            why="level_too_low",
            reason=f"niveau {_colour(feed)} : pas de vigilance à porter à la population",
        )
    if not found.communes:
        return FeedItemOutcome(**base, outcome="not_concerned", why=found.why, reason=found.reason)
    if change is None:
        return FeedItemOutcome(**base, outcome="no_change", communes=found.communes)
    return FeedItemOutcome(**base, outcome="drafted", communes=found.communes)


_COLOURS = {1: "vert", 2: "jaune", 3: "orange", 4: "rouge"}


def _colour(feed: FeedLevel) -> str:
    return _COLOURS[1 if feed.cancelled else feed.level]


def _label(feed: FeedLevel) -> str:
    if feed.source == "cap":
        return f"{feed.event} ({feed.reference}), {_colour(feed)}"
    return f"vigilance {_colour(feed)} {feed.event}, {feed.area_label}"


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
