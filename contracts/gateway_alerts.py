"""HTTP bodies of the gateway's alerts endpoints, beyond what `contracts.alerts` already holds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from contracts.alerts import Campaign, CampaignProgress, CampaignStatus, Contact
from contracts.base import Contract
from contracts.feeds import FeedItemOutcome

FeedKind = Literal["cap", "meteofrance", "vigicrues"]


class PhoneRequest(Contract):
    """`POST /contacts/opt-out` and `/contacts/opt-in`: a number as the person gives it."""

    phone: str = Field(min_length=1, max_length=40, examples=["06 12 34 56 78"])


class OptOutState(Contract):
    phone: str = Field(description="E.164")
    opted_out: bool


class ContactExport(Contract):
    """Everything held about one person (RGPD access request)."""

    contact: Contact
    opted_out_numbers: tuple[str, ...]
    messages: tuple[str, ...] = Field(description="what was sent to them, as the service logs it")


class FollowUpRequest(Contract):
    """`POST /campaigns/{id}/update` and `/end`: the text sent to the alert's recipients."""

    text: str = Field(min_length=1, max_length=1000)


class CampaignDetail(Contract):
    campaign: Campaign
    progress: tuple[CampaignProgress, ...] = Field(description="one entry per message sent")


class CancelResult(Contract):
    campaign: Campaign
    cancelled_sends: int = Field(description="messages that had not left and never will")


class AuditEntry(Contract):
    id: str
    at: datetime
    actor: str
    action: str
    detail: dict[str, object]


class LiveProgress(Contract):
    """The data of each `progress` and `done` event of `GET /campaigns/{id}/events`."""

    campaign_id: str
    status: CampaignStatus
    progress: tuple[CampaignProgress, ...]
    done: bool = Field(description="every message has reached a final state for everyone")


class FeedIngestResult(Contract):
    """What a vigilance feed changed: the drafts it created or updated, for a mayor to approve."""

    drafts: tuple[Campaign, ...]
    changes: int
    outcomes: tuple[FeedItemOutcome, ...] = ()  # per alert: drafted, no change, not concerned...
    quiet_elsewhere: int = 0  # items at vert outside the territory, counted, not listed
