"""Alert contacts, consent, and what a contact import reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from contracts.base import Contract

PhoneKind = Literal["mobile", "landline", "other"]
ChannelName = Literal["sms", "voice"]
# How a contact's point was found: given in the file, the exact address in the Base Adresse
# Nationale, only its street there (the nearest number), or not placed: only its commune known.
Placement = Literal["given", "housenumber", "street", "commune"]


class GeoPoint(Contract):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ContactPhone(Contract):
    e164: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$")
    kind: PhoneKind


class Contact(Contract):
    """A resident who agreed to be alerted."""

    contact_id: str
    full_name: str = Field(min_length=1, max_length=200)
    phones: tuple[ContactPhone, ...] = Field(min_length=1)
    commune: str = Field(pattern=r"^[0-9][0-9AB][0-9]{3}$")
    address: str = Field(default="", max_length=300)
    location: GeoPoint | None = None
    vulnerable: bool = False
    preferred_channel: ChannelName | None = None
    consent_date: date
    consent_source: str = Field(min_length=1, max_length=200)
    placement: Placement | None = Field(
        default=None, description="how `location` was found; None: stored before placing"
    )
    placed_from: str = Field(default="", max_length=300, description="the BAN address used")


class ImportRowReport(Contract):
    row: int = Field(description="line number in the file, header = 1")
    status: Literal["imported", "merged", "rejected"]
    contact_id: str | None = None
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    placement: Placement | None = None


class UnplacedContact(Contract):
    """A contact without a point: reached by campaigns to its commune, never by an area."""

    contact_id: str
    full_name: str
    commune: str
    address: str
    why: str


class ContactImportReport(Contract):
    imported: int
    merged: int
    rejected: int
    rows: tuple[ImportRowReport, ...]
    placed: int = Field(default=0, description="contacts with a point on the map")
    unplaced: tuple[UnplacedContact, ...] = Field(
        default=(), description="contacts that could not be placed, for the mairie to fix"
    )


Severity = Literal["information", "warning", "emergency"]


class CampaignTarget(Contract):
    """Who is concerned: whole communes, a drawn area, or the flood zone along a river reach."""

    communes: tuple[str, ...] = ()
    polygon: dict[str, object] | None = Field(
        default=None, description="GeoJSON Polygon or MultiPolygon, lon/lat (WGS84)"
    )
    vigicrues_reach: str | None = Field(default=None, description="Vigicrues reach id")
    reach_buffer_m: int = Field(default=500, ge=50, le=5000)


class CampaignRequest(Contract):
    title: str = Field(min_length=1, max_length=120)
    message: str = Field(min_length=1, max_length=1000)
    voice_message: str | None = Field(default=None, max_length=2000)
    severity: Severity
    target: CampaignTarget
    channels: tuple[ChannelName, ...] = Field(default=("sms", "voice"), min_length=1)


class EncodingPreview(Contract):
    encoding: Literal["GSM-7", "UCS-2"]
    segments: int
    characters: int
    forcing_characters: tuple[str, ...] = ()


class CampaignPreview(Contract):
    recipients: dict[str, int] = Field(description="people reached per channel")
    people: int
    sms: EncodingPreview
    transliterated_message: str | None = Field(
        default=None, description="a GSM-7 variant, offered when the message needs UCS-2"
    )
    transliterated_sms: EncodingPreview | None = None
    sms_segments_total: int
    estimated_seconds: float
    estimated_cost_eur: float
    area_people: int | None = Field(
        default=None,
        description="contacts inside the target: placed inside its drawn area or flood zone, "
        "or, for communes only, living in them",
    )
    area_unplaced: int | None = Field(
        default=None,
        description="contacts of the communes the target covers that have no point on the map: "
        "an area cannot tell whether they are inside (a campaign to their commune reaches them)",
    )
    area_communes: tuple[str, ...] | None = Field(
        default=None, description="the communes the target covers"
    )
    area_geojson: dict[str, object] | None = Field(
        default=None, description="the drawn area or the reach's flood zone (GeoJSON), to draw"
    )


CampaignStatus = Literal["draft", "sending", "sent", "cancelled", "halted"]
MessageKind = Literal["alert", "update", "end"]


class CampaignMessage(Contract):
    """One message of a campaign: the alert itself, an update, or the end of the alert."""

    number: int = Field(ge=1)
    kind: MessageKind
    text: str
    voice_text: str
    created_at: datetime
    created_by: str


class Campaign(Contract):
    campaign_id: str
    tenant: str
    request: CampaignRequest
    status: CampaignStatus
    created_at: datetime
    created_by: str
    source: str | None = Field(default=None, description="the feed item a draft came from")
    messages: tuple[CampaignMessage, ...] = ()
    halted_reason: str | None = None
    communes: tuple[str, ...] = Field(
        default=(),
        description="the communes the campaign covers (its target's, and those of the people "
        "inside its area at creation): who may see and act on it",
    )


RecipientStatus = Literal[
    "pending",
    "sending",
    "accepted",
    "queued",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "opted_out",
    "cancelled",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "no-answer",
    "needs_human",
]


class RecipientState(Contract):
    """Where one message to one number stands."""

    key: str
    contact_id: str
    e164: str
    channel: ChannelName
    status: RecipientStatus
    vulnerable: bool = False
    sid: str | None = None
    attempts: int = 0
    error: str | None = None
    confirmed: bool = False
    calls: int = 0
    claimed_at: datetime | None = None
    updated_at: datetime | None = None
    # An attempt since then may have reached the provider unanswered: ask it before sending again.
    unsure_since: datetime | None = None


class CampaignProgress(Contract):
    campaign_id: str
    message_number: int
    total: int
    by_status: dict[str, int]
    done: bool


class CampaignProgressUpdated(Contract):
    """Event `campaign_progress_updated`: a campaign's counts or state changed. Coalesced: a
    few a second per campaign at most, however many messages leave, and one at once for each
    change of state (sending, sent, cancelled, halted, a message done)."""

    campaign_id: str
    status: CampaignStatus
    progress: tuple[CampaignProgress, ...] = Field(description="one entry per message sent")
