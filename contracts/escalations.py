"""Escalations the alerts service opens when something needs a human."""

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.base import Contract


class Escalation(Contract):
    """An open matter for a person to follow up (e.g. a senior who did not answer the door)."""

    escalation_id: str
    kind: Literal["delivery_failed"]
    subject_id: str
    commune: str
    summary: str
    opened_at: AwareDatetime
    source_event_id: str
    reported_by: str | None = Field(default=None, description="who reported what happened")
