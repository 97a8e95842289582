"""Vigilance feeds as the alerts service reads them, and the campaign drafts they lead to.

Coordinates follow GeoJSON: (longitude, latitude), WGS84. Levels follow the French vigilance
colours: 1 vert, 2 jaune, 3 orange, 4 rouge.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.base import Contract

Level = Literal[1, 2, 3, 4]
FeedSource = Literal["cap", "meteofrance", "vigicrues"]
# The nine phenomena of the French vigilance map, plus "autre" for CAP events outside them.
Phenomenon = Literal[
    "vent_violent",
    "pluie_inondation",
    "orages",
    "crues",
    "neige_verglas",
    "canicule",
    "grand_froid",
    "avalanches",
    "vagues_submersion",
    "autre",
]
# Mirrors the campaign severity the mayor's console offers.
DraftSeverity = Literal["information", "warning", "emergency"]

Position = tuple[float, float]  # (lon, lat)
Ring = tuple[Position, ...]


# --- CAP --------------------------------------------------------------------------------------


class CapReference(Contract):
    """One earlier message an Update or Cancel points to (sender, identifier, sent)."""

    sender: str
    identifier: str
    sent: str  # kept as written: producers differ in how they spell the time


class CapCircle(Contract):
    center: Position
    radius_km: float = Field(ge=0)


class CapValue(Contract):
    """A valueName/value pair (geocode, eventCode, parameter)."""

    name: str
    value: str


class CapArea(Contract):
    description: str
    polygons: tuple[Ring, ...] = ()
    circles: tuple[CapCircle, ...] = ()
    geocodes: tuple[CapValue, ...] = ()
    insee_codes: tuple[str, ...] = ()  # French commune codes found among the geocodes
    departments: tuple[str, ...] = ()  # French departments named by code or by NUTS3 geocodes
    altitude: float | None = None
    ceiling: float | None = None


class CapInfo(Contract):
    language: str = "en-US"
    categories: tuple[str, ...]
    event: str
    response_types: tuple[str, ...] = ()
    urgency: str
    severity: str
    certainty: str
    event_codes: tuple[CapValue, ...] = ()
    effective: AwareDatetime | None = None
    onset: AwareDatetime | None = None
    expires: AwareDatetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    parameters: tuple[CapValue, ...] = ()
    areas: tuple[CapArea, ...] = ()


class CapAlert(Contract):
    """One CAP message, validated against the OASIS CAP 1.2 schema."""

    cap_version: Literal["1.2", "1.1"]
    identifier: str
    sender: str
    sent: AwareDatetime
    status: Literal["Actual", "Exercise", "System", "Test", "Draft"]
    msg_type: Literal["Alert", "Update", "Cancel", "Ack", "Error"]
    scope: str
    source: str | None = None
    note: str | None = None
    references: tuple[CapReference, ...] = ()
    incidents: str | None = None
    infos: tuple[CapInfo, ...] = ()
    reader_notes: tuple[str, ...] = ()  # what the reader did beyond parsing (e.g. read 1.1 as 1.2)


# --- Météo-France -----------------------------------------------------------------------------


class DepartmentVigilance(Contract):
    """One phenomenon's colour for one department (or its coast) over one map period."""

    domain_id: str  # as published: "59", "2A", or "5910" for the coast of the Nord
    department: str  # "59"
    coastal: bool
    phenomenon_id: int = Field(ge=1, le=9)
    phenomenon: Phenomenon
    level: Level
    period: str  # "J", "J1" (JSON map) or the legacy echeance in hours
    valid_from: AwareDatetime
    valid_to: AwareDatetime
    updated_at: AwareDatetime


# --- Vigicrues --------------------------------------------------------------------------------


class ReachGeometry(Contract):
    type: Literal["LineString", "MultiLineString"]
    lines: tuple[Ring, ...] = Field(min_length=1)  # a LineString is one line


class VigicruesReach(Contract):
    """A river reach (tronçon) of the InfoVigiCru map and its flood level."""

    reach_id: str  # CdEntCru, e.g. "NO50"
    name: str  # "Eure moyenne et aval"
    level: Level
    geometry: ReachGeometry
    territory: str | None = None  # the flood-forecast service in charge (cdensup_1)
    bulletin: str | None = None  # RefInfoVigiCru
    published_at: AwareDatetime | None = None


# --- Levels and their changes -----------------------------------------------------------------


class FeedLevel(Contract):
    """One item of a feed snapshot in the common shape the change detector compares."""

    source: FeedSource
    key: str  # stable per item: "meteofrance:59:4", "vigicrues:NO50", "cap:<sender>:<id>"
    supersedes: tuple[str, ...] = ()  # keys of the earlier messages a CAP Update/Cancel names
    level: Level
    cancelled: bool = False  # a CAP Cancel
    phenomenon: Phenomenon
    event: str  # human label: "crues", "Flood Warning"
    area_kind: Literal["department", "coast", "reach", "cap_area"]
    area_ids: tuple[str, ...] = ()  # department code, reach id, or INSEE/geocode values
    area_label: str
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    reference: str  # what a person can quote to find the bulletin
    headline: str | None = None
    instruction: str | None = None
    cap_areas: tuple[CapArea, ...] = ()  # CAP only: the polygons, circles and geocodes to target
    language: str | None = None  # CAP only: the language of the text read ("fr-FR", "en-GB")


class KnownLevel(Contract):
    """What the service remembers of an item between snapshots."""

    feed: FeedLevel
    aliases: tuple[str, ...] = ()  # every message key seen for this item (CAP update chains)


class LevelChange(Contract):
    kind: Literal["raised", "updated", "ended"]
    key: str  # the item's stable key (the first message of a CAP chain)
    previous_level: Level | None = None
    feed: FeedLevel


# --- Drafts -----------------------------------------------------------------------------------


class CampaignDraft(Contract):
    """A French campaign proposal for a mayor to approve; nothing has been sent."""

    draft_key: str  # source item + commune: an update of the item updates this draft
    kind: Literal["alert", "update", "end"]
    commune_code: str
    commune_name: str
    source: FeedSource
    reference: str
    phenomenon: Phenomenon
    level: Level
    severity: DraftSeverity
    title: str
    sms_body: str
    voice_script: str
    voice_language: Literal["fr-FR"] = "fr-FR"
    source_language: str | None = None  # the language the source was written in, if not French
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None


# --- What an ingest did with each item -----------------------------------------------------------

FeedOutcomeKind = Literal["drafted", "no_change", "not_concerned", "rejected"]
NotConcernedWhy = Literal["area_outside", "level_too_low", "test_or_exercise", "scope", "no_area"]


class FeedItemOutcome(Contract):
    """One alert of a feed document and what became of it, as a mayor reads it."""

    key: str  # the item ("cap:<sender>:<identifier>", "meteofrance:59:4") or its place
    label: str  # "Flood Warning (CAP sender, identifier)", "vigilance orange crues, département 59"
    outcome: FeedOutcomeKind
    why: NotConcernedWhy | None = None  # for not_concerned
    reason: str | None = None  # for not_concerned and rejected: the details, said plainly
    communes: tuple[str, ...] = ()  # drafted: for which communes
    level: Level | None = None
    source_language: str | None = None


class FeedIngestRecord(Contract):
    """One ingest of a feed document by the intercommunality, kept for the console."""

    ingest_id: str
    kind: str
    actor: str
    received_at: AwareDatetime
    outcomes: tuple[FeedItemOutcome, ...] = ()
    quiet_elsewhere: int = 0  # items at vert outside the territory, counted not listed
