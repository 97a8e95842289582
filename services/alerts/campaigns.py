"""Campaign arithmetic: who gets what by which channel, what it costs and how long it takes.

Pure: contacts and opt-outs come in as data; nothing is sent here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts.alerts import (
    CampaignPreview,
    CampaignRequest,
    ChannelName,
    Contact,
    EncodingPreview,
)
from services.alerts.segments import analyse, transliterate


@dataclass(frozen=True)
class Recipient:
    """One message to one number: the unit of delivery and of idempotency."""

    contact_id: str
    e164: str
    channel: ChannelName
    vulnerable: bool

    @property
    def key(self) -> str:
        return f"{self.contact_id}:{self.e164}:{self.channel}"


@dataclass(frozen=True)
class Tariff:
    """Provider prices and pace, configurable per sender (defaults: Twilio France, 2026)."""

    eur_per_sms_segment: float = 0.0792
    eur_per_call_minute: float = 0.0184
    call_minutes: float = 1.0
    sms_segments_per_second: float = 10.0
    calls_per_second: float = 1.0


def recipients_for(
    contacts: Iterable[Contact],
    channels: Iterable[ChannelName],
    opted_out: set[str],
) -> list[Recipient]:
    """Who gets which message: each person once, on the channel that reaches them best.

    A person with a mobile gets the SMS on their first mobile; one with only landlines gets a
    call; one who prefers voice gets a call. A vulnerable person gets the call as well as the
    SMS, since a text can go unread. Opted-out numbers are never used.
    """
    wanted = set(channels)
    found: list[Recipient] = []
    for contact in contacts:
        usable = [p for p in contact.phones if p.e164 not in opted_out]
        mobiles = [p for p in usable if p.kind != "landline"]
        landlines = [p for p in usable if p.kind == "landline"]
        voice_candidates = landlines or mobiles
        voice_number = voice_candidates[0] if voice_candidates else None
        chosen: list[tuple[str, ChannelName]] = []
        if contact.preferred_channel == "voice" and "voice" in wanted and voice_number:
            chosen.append((voice_number.e164, "voice"))
        elif mobiles and "sms" in wanted:
            chosen.append((mobiles[0].e164, "sms"))
            if contact.vulnerable and "voice" in wanted and voice_number:
                chosen.append((voice_number.e164, "voice"))
        elif "voice" in wanted and voice_number:
            chosen.append((voice_number.e164, "voice"))
        found.extend(
            Recipient(contact.contact_id, e164, channel, contact.vulnerable)
            for e164, channel in chosen
        )
    return found


def _encoding(text: str) -> EncodingPreview:
    result = analyse(text)
    return EncodingPreview(
        encoding=result.encoding,
        segments=result.segments,
        characters=len(text),
        forcing_characters=result.forcing_characters,
    )


def preview(
    request: CampaignRequest, recipients: list[Recipient], tariff: Tariff | None = None
) -> CampaignPreview:
    tariff = tariff or Tariff()
    sms = _encoding(request.message)
    variant = transliterate(request.message) if sms.encoding == "UCS-2" else None
    by_channel = {"sms": 0, "voice": 0}
    for recipient in recipients:
        by_channel[recipient.channel] += 1
    segments_total = by_channel["sms"] * sms.segments
    seconds = max(
        segments_total / tariff.sms_segments_per_second,
        by_channel["voice"] / tariff.calls_per_second,
    )
    cost = (
        segments_total * tariff.eur_per_sms_segment
        + by_channel["voice"] * tariff.call_minutes * tariff.eur_per_call_minute
    )
    return CampaignPreview(
        recipients=by_channel,
        people=len({r.contact_id for r in recipients}),
        sms=sms,
        transliterated_message=variant,
        transliterated_sms=_encoding(variant) if variant is not None else None,
        sms_segments_total=segments_total,
        estimated_seconds=round(seconds, 1),
        estimated_cost_eur=round(cost, 2),
    )
