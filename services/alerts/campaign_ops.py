"""Campaign use cases: compose, preview, send, follow up, cancel, follow progress, report.

The application layer between the thin service and the store: it enforces who may act on which
campaign (see `ownership`), and that every message of a campaign goes to the same frozen list of
recipients. A campaign that is not the caller's answers exactly like one that does not exist, and
the refusal is audited.
"""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from contracts.alerts import (
    Campaign,
    CampaignMessage,
    CampaignPreview,
    CampaignProgress,
    CampaignRequest,
    CampaignTarget,
    Contact,
    MessageKind,
    RecipientState,
)
from contracts.feeds import ReachGeometry
from contracts.identity import Caller
from services.alerts import feed_records
from services.alerts.campaigns import Recipient, Tariff, preview, recipients_for
from services.alerts.csv_safety import spreadsheet_safe
from services.alerts.feeds.reach_zone import flood_zone
from services.alerts.ownership import (
    campaign_communes,
    check_may_create,
    covered_communes,
    reaches_campaign,
)
from services.alerts.progress_events import WATCH_AFTER_S
from services.alerts.progress_store import ProgressStore
from services.alerts.store import AlertsStore
from services.alerts.targeting import TargetError, bounding_box, contacts_in_area, validate_area
from services.alerts.territory import (
    TerritoryError,
    communes_covering,
    communes_from_geojson,
    territory,
)
from services.common.errors import Conflict, NotFound
from services.common.events import InvalidMessage


def _validate_target(request: CampaignRequest) -> None:
    target = request.target
    if not target.communes and target.polygon is None and target.vigicrues_reach is None:
        raise InvalidMessage("the target names no commune, no area and no river reach")
    if target.polygon is not None:
        try:
            validate_area(dict(target.polygon))
        except (TargetError, TypeError, ValueError) as error:
            raise InvalidMessage(f"target.polygon: {error}") from None


def create_campaign(
    store: AlertsStore,
    tenant: str,
    request: CampaignRequest,
    actor: str,
    caller: Caller | None,
    source: str | None = None,
) -> Campaign:
    """Draft a campaign owned by the communes its target covers.

    `caller` None: the system drafts for the tenant (a vigilance feed, ingested by a tenant-wide
    user); a person's draft is checked against what they reach.
    """
    _validate_target(request)
    covered = covered_communes(
        request.target.communes,
        people_in_area(store, tenant, request),
        communes_under_area(store, tenant, request),
    )
    if caller is not None:
        check_may_create(caller, covered)
    now = datetime.now(UTC)
    campaign = Campaign(
        campaign_id=f"cmp-{uuid.uuid4().hex[:12]}",
        tenant=tenant,
        request=request,
        status="draft",
        created_at=now,
        created_by=actor,
        source=source,
        communes=covered,
        messages=(
            CampaignMessage(
                number=1,
                kind="alert",
                text=request.message,
                voice_text=request.voice_message or request.message,
                created_at=now,
                created_by=actor,
            ),
        ),
    )
    store.save_campaign(campaign)
    _audit(store, actor, "campaign_drafted", campaign, source=source)
    return campaign


def _audit(store: AlertsStore, actor: str, action: str, campaign: Campaign, **detail: Any) -> None:
    """An audit entry about a campaign, filed under the communes it belongs to."""
    communes = sorted(campaign_communes(campaign))
    store.audit(
        campaign.tenant, actor, action, campaign=campaign.campaign_id, communes=communes, **detail
    )


def get_campaign(
    store: AlertsStore, tenant: str, campaign_id: str, caller: Caller, attempted: str = "read"
) -> Campaign:
    """The campaign if the caller reaches it; otherwise NotFound, exactly as if there were none,
    and the refusal audited under the campaign's communes (their mayor sees the attempt)."""
    campaign = store.campaign(tenant, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    if not reaches_campaign(caller, campaign):
        _audit(store, caller.username, "refused", campaign, attempted=attempted)
        raise NotFound(f"no campaign {campaign_id}")
    return campaign


def visible_campaigns(store: AlertsStore, tenant: str, caller: Caller) -> list[Campaign]:
    return [c for c in store.campaigns(tenant) if reaches_campaign(caller, c)]


def reach_zone(store: AlertsStore, tenant: str, target: CampaignTarget) -> dict[str, Any]:
    """The flood zone along a Vigicrues reach: the reach buffered by `reach_buffer_m`."""
    raw = store.reach(tenant, target.vigicrues_reach or "")
    if raw is None:
        raise InvalidMessage(
            f"unknown river reach {target.vigicrues_reach!r}: load the Vigicrues feed first"
        )
    return flood_zone(ReachGeometry.model_validate_json(raw), target.reach_buffer_m)


def communes_under_area(store: AlertsStore, tenant: str, request: CampaignRequest) -> list[str]:
    """The communes whose stored boundaries the target's area or flood zone meets (none when
    `bocage tenant communes` has stored no boundaries)."""
    target = request.target
    if target.polygon is None and target.vigicrues_reach is None:
        return []
    raw = feed_records.boundaries(store.client, tenant)
    if not raw:
        return []
    try:
        where = territory(communes_from_geojson(json.loads(raw)))
    except (TerritoryError, ValueError):
        return []  # written by our own command; a damaged record is as good as none
    codes: set[str] = set()
    if target.polygon is not None:
        codes.update(communes_covering(where, dict(target.polygon)))
    if target.vigicrues_reach is not None:
        codes.update(communes_covering(where, reach_zone(store, tenant, target)))
    return sorted(codes)


def people_in_area(store: AlertsStore, tenant: str, request: CampaignRequest) -> list[Contact]:
    """The contacts placed inside the target's drawn area or river flood zone (none without)."""
    target = request.target
    areas = []
    if target.polygon is not None:
        areas.append(validate_area(dict(target.polygon)))
    if target.vigicrues_reach is not None:
        areas.append(validate_area(reach_zone(store, tenant, target)))
    found: dict[str, Contact] = {}
    for polygons in areas:
        near = store.contact_ids_in_box(tenant, *bounding_box(polygons))
        for contact in contacts_in_area(store.contacts(tenant, near), polygons):
            found.setdefault(contact.contact_id, contact)
    return list(found.values())


def resolve_recipients(
    store: AlertsStore, tenant: str, request: CampaignRequest, caller: Caller
) -> list[Recipient]:
    ids = store.contact_ids_in_communes(tenant, request.target.communes)
    contacts = store.contacts(tenant, sorted(ids))
    known = {c.contact_id for c in contacts}
    contacts += [c for c in people_in_area(store, tenant, request) if c.contact_id not in known]
    # A mayor's campaign never reaches people of another commune, even ones who moved in later.
    contacts = [c for c in contacts if caller.reaches_commune(c.commune)]
    return recipients_for(contacts, request.channels, store.opted_out(tenant))


def preview_campaign(
    store: AlertsStore,
    tenant: str,
    request: CampaignRequest,
    caller: Caller,
    tariff: Tariff | None = None,
) -> CampaignPreview:
    _validate_target(request)
    inside = people_in_area(store, tenant, request)
    under = communes_under_area(store, tenant, request)
    # The same rule as drafting: an area over another commune is refused even with nobody in it.
    check_may_create(caller, covered_communes(request.target.communes, inside, under))
    found = preview(request, resolve_recipients(store, tenant, request, caller), tariff)
    return found.model_copy(update=_area_figures(store, tenant, request, caller, inside, under))


def _area_figures(
    store: AlertsStore,
    tenant: str,
    request: CampaignRequest,
    caller: Caller,
    inside: list[Contact],
    under_area: list[str],
) -> dict[str, Any]:
    """What the console's map shows beside the target: who is inside, and who is not placed."""
    target = request.target
    unplaced = store.unplaced_contact_ids(tenant)
    if target.polygon is None and target.vigicrues_reach is None:
        under = [code for code in target.communes if caller.reaches_commune(code)]
        ids = store.contact_ids_in_communes(tenant, under)
        return {
            "area_people": len(ids),
            "area_unplaced": len(ids & unplaced),
            "area_communes": tuple(under),
        }
    under = sorted({*under_area, *(c.commune for c in inside), *target.communes})
    under = [code for code in under if caller.reaches_commune(code)]
    drawn = dict(target.polygon) if target.polygon is not None else None
    zone = reach_zone(store, tenant, target) if target.vigicrues_reach is not None else None
    return {
        "area_people": sum(caller.reaches_commune(c.commune) for c in inside),
        "area_unplaced": len(unplaced & store.contact_ids_in_communes(tenant, under)),
        "area_communes": tuple(under),
        "area_geojson": drawn or zone,
    }


def send_campaign(store: AlertsStore, tenant: str, campaign_id: str, caller: Caller) -> Campaign:
    """Freeze the recipients, then mark the campaign `sending`.

    In that order, so that a send that fails half-way (while freezing 100,000 recipients) leaves
    a draft the engine does not touch, and asking again completes it: the campaign never sits in
    `sending` with recipients missing, nor with nobody sending.
    """
    campaign = get_campaign(store, tenant, campaign_id, caller, "send")
    if campaign.status in {"sending", "sent"} and store.is_frozen(tenant, campaign_id, 1):
        return campaign  # sending twice is asking once: the recipients are already frozen
    if campaign.status == "cancelled":
        raise Conflict(f"campaign {campaign_id} was cancelled")
    recipients = resolve_recipients(store, tenant, campaign.request, caller)
    states = [
        RecipientState(
            key=r.key,
            contact_id=r.contact_id,
            e164=r.e164,
            channel=r.channel,
            status="pending",
            vulnerable=r.vulnerable,
        )
        for r in recipients
    ]
    store.freeze_recipients(tenant, campaign_id, 1, states)

    def start(current: Campaign) -> Campaign:
        if current.status == "cancelled":
            raise Conflict(f"campaign {campaign_id} was cancelled")
        return current.model_copy(update={"status": "sending", "halted_reason": None})

    sending = store.modify_campaign(tenant, campaign_id, start)
    if sending is None:
        raise NotFound(f"no campaign {campaign_id}")
    _audit(store, caller.username, "campaign_sent", campaign, recipients=len(states))
    _watch_progress(store, tenant, campaign_id)
    return sending


def send_follow_up(
    store: AlertsStore,
    tenant: str,
    campaign_id: str,
    text: str,
    kind: MessageKind,
    caller: Caller,
    voice_text: str | None = None,
) -> Campaign:
    """An update or the end of the alert, to exactly the people the alert went to.

    The recipients of message N are frozen before message N is added to the campaign (the engine
    ignores a message the campaign does not have yet); the message is added under WATCH, and if
    another follow-up took number N meanwhile, this one becomes N + 1.
    """
    actor = caller.username
    campaign = get_campaign(store, tenant, campaign_id, caller, kind)
    if not text.strip():
        raise InvalidMessage("the follow-up message is empty")
    first = [s for s in store.states(tenant, campaign_id, 1) if s.status != "opted_out"]
    states = [
        RecipientState(
            key=s.key,
            contact_id=s.contact_id,
            e164=s.e164,
            channel=s.channel,
            status="pending",
            vulnerable=s.vulnerable,
        )
        for s in first
    ]
    for _ in range(10):
        number = len(campaign.messages) + 1
        _check_may_follow_up(campaign)
        store.freeze_recipients(tenant, campaign_id, number, states)
        message = CampaignMessage(
            number=number,
            kind=kind,
            text=text,
            voice_text=voice_text or text,
            created_at=datetime.now(UTC),
            created_by=actor,
        )

        def append(current: Campaign, message: CampaignMessage = message) -> Campaign | None:
            _check_may_follow_up(current)
            if len(current.messages) != message.number - 1:
                return None  # another follow-up took this number: try the next one
            update = {"messages": (*current.messages, message), "status": "sending"}
            return current.model_copy(update=update)

        updated = store.modify_campaign(tenant, campaign_id, append)
        if updated is not None:
            _audit(store, actor, f"campaign_{kind}", campaign, message=number)
            _watch_progress(store, tenant, campaign_id)
            return updated
        fresh = store.campaign(tenant, campaign_id)
        if fresh is None:
            raise NotFound(f"no campaign {campaign_id}")
        campaign = fresh
    raise Conflict(f"campaign {campaign_id} is being changed by others; try again")


def _check_may_follow_up(campaign: Campaign) -> None:
    if campaign.status not in {"sending", "sent", "halted"}:
        raise Conflict(
            f"campaign {campaign.campaign_id} has not been sent (status {campaign.status})"
        )


def cancel_campaign(
    store: AlertsStore, tenant: str, campaign_id: str, caller: Caller
) -> tuple[Campaign, int]:
    """Stop what has not left yet; returns the campaign and how many sends were cancelled."""
    campaign = get_campaign(store, tenant, campaign_id, caller, "cancel")
    cancelled = store.modify_campaign(
        tenant, campaign_id, lambda current: current.model_copy(update={"status": "cancelled"})
    )
    if cancelled is None:
        raise NotFound(f"no campaign {campaign_id}")
    stopped = 0
    for message in cancelled.messages:
        for key in store.drain_queue(tenant, campaign_id, message.number):
            store.update_state(tenant, campaign_id, message.number, key, {"status": "cancelled"})
            stopped += 1
    _audit(store, caller.username, "campaign_cancelled", campaign, stopped=stopped)
    _watch_progress(store, tenant, campaign_id)
    return cancelled, stopped


def _watch_progress(store: AlertsStore, tenant: str, campaign_id: str) -> None:
    """Its progress is published from now on (`progress_publisher`), even if every message
    leaves before the publisher's next look would have found one of them being sent."""
    watch = ProgressStore(store.client, store.deployment)
    watch.watch(tenant, campaign_id, time.time() + WATCH_AFTER_S)


def progress(store: AlertsStore, tenant: str, campaign: Campaign) -> list[CampaignProgress]:
    found = []
    for message in campaign.messages:
        total, counts = store.counts(tenant, campaign.campaign_id, message.number)
        outstanding = store.outstanding(tenant, campaign.campaign_id, message.number)
        done = outstanding == 0 and counts.get("sending", 0) == 0 and counts.get("pending", 0) == 0
        found.append(
            CampaignProgress(
                campaign_id=campaign.campaign_id,
                message_number=message.number,
                total=total,
                by_status=counts,
                done=done,
            )
        )
    return found


REPORT_COLUMNS = (
    "campaign_id", "message", "kind", "contact_id", "full_name", "phone", "channel", "status",
    "confirmed", "attempts", "calls", "provider_sid", "error", "updated_at",
)  # fmt: skip


def report_csv(store: AlertsStore, tenant: str, campaign: Campaign) -> str:
    """One row per message and recipient: who was reached, how, and when."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    # Names come from imported files: a cell such as `=HYPERLINK(...)` must stay text.
    names: dict[str, str] = {}
    for message in campaign.messages:
        states = sorted(
            store.states(tenant, campaign.campaign_id, message.number), key=lambda s: s.key
        )
        missing = {s.contact_id for s in states} - names.keys()
        names.update({c.contact_id: c.full_name for c in store.contacts(tenant, sorted(missing))})
        for s in states:
            writer.writerow(
                spreadsheet_safe(
                    campaign.campaign_id, message.number, message.kind, s.contact_id,
                    names.get(s.contact_id, "(erased)"), s.e164, s.channel, s.status,
                    "yes" if s.confirmed else "no", s.attempts, s.calls, s.sid or "",
                    s.error or "", s.updated_at.isoformat() if s.updated_at else "",
                )
            )  # fmt: skip
    return out.getvalue()
