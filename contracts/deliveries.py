"""Meal deliveries: what happens at a senior's door."""

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.base import Contract
from contracts.meals_events import EmergencyContact, FamilyNotice

DeliveryFailureReason = Literal["no_answer", "refused", "address_not_found", "other"]


class DeliveryFailureReport(Contract):
    """A driver reports that a delivery could not be completed (RPC `report_delivery_failed`)."""

    delivery_id: str = Field(min_length=1, max_length=64)
    commune: str = Field(min_length=1, max_length=16, description="INSEE code of the commune")
    recipient_name: str = Field(min_length=1, max_length=200)
    reason: DeliveryFailureReason
    attempted_at: AwareDatetime
    note: str = Field(default="", max_length=500)


class DeliveryFailed(Contract):
    """Event `delivery_failed`: nobody could be served at the door; someone must be told."""

    delivery_id: str
    commune: str
    recipient_name: str
    reason: DeliveryFailureReason
    attempted_at: AwareDatetime
    note: str = ""
    reported_by: str | None = Field(default=None, description="username of who reported it")
    senior_id: str | None = Field(default=None, description="the senior, for meal deliveries")
    emergency_contacts: tuple[EmergencyContact, ...] = Field(
        default=(), description="whom the welfare check calls, in order"
    )
    notify: tuple[FamilyNotice, ...] = ()
