"""Events of a meal delivery that other services act on (the alerts service tells families and
runs the welfare check). The routing service owns seniors and deliveries and publishes these; it
puts in each event what the alerts service needs, since services never read each other's state.
"""

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.base import Contract

ContactRelation = Literal["family", "neighbour", "dispatcher", "other"]


class EmergencyContact(Contract):
    """Someone to call when a senior does not answer the door, in the order they are tried."""

    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=3, max_length=32, description="E.164")
    relation: ContactRelation = "family"


class FamilyNotice(Contract):
    """A family member who opted in to SMS about the delivery (approaching, delivered)."""

    username: str = Field(min_length=1, max_length=64)
    phone: str = Field(min_length=3, max_length=32, description="E.164")


class DeliveryEtaUpdated(Contract):
    """Event `delivery_eta_updated`: a delivery's expected arrival moved (by more than a couple
    of minutes) or was first computed."""

    delivery_id: str
    senior_id: str
    senior_first_name: str = ""
    commune: str | None = None
    round_id: str
    vehicle_id: str
    day: str = Field(description="local date, YYYY-MM-DD")
    eta: AwareDatetime
    stops_before: int = Field(ge=0, description="deliveries the vehicle makes before this one")
    computed_at: AwareDatetime
    notify: tuple[FamilyNotice, ...] = ()


class DeliveryCompleted(Contract):
    """Event `delivery_completed`: the meal was handed over."""

    delivery_id: str
    senior_id: str
    senior_first_name: str = ""
    commune: str | None = None
    round_id: str
    day: str
    delivered_at: AwareDatetime
    reported_by: str
    notify: tuple[FamilyNotice, ...] = ()


class RoundCompleted(Contract):
    """Event `round_completed`: the last stop of a vehicle's meal round was marked at the door
    (published once, with the mark that completes it)."""

    round_id: str
    vehicle_id: str
    driver: str | None = None
    day: str = Field(description="local date, YYYY-MM-DD")
    finished_at: AwareDatetime = Field(description="when the last stop was marked")
    delivered: int = Field(ge=0)
    absent: int = Field(ge=0)
    refused: int = Field(ge=0)


class FamilySmsReceipt(Contract):
    """Events `message_delivered` and `message_undelivered` (undelivered or failed): the
    provider's final status of an SMS the alerts service sent a family about a meal (approaching,
    delivered). Routing writes it into the senior's history."""

    delivery_id: str
    kind: Literal["approaching", "delivered"]
    username: str = Field(min_length=1, max_length=64, description="the family member")
    status: Literal["delivered", "undelivered", "failed"]
    error_code: str | None = None
    at: AwareDatetime = Field(description="when the provider reported it")
