"""HTTP bodies of the gateway that are not messages between services."""

from pydantic import AwareDatetime, Field

from contracts.base import Contract
from contracts.deliveries import DeliveryFailureReason
from contracts.health import ComponentState
from contracts.users import Commune


class TenantUpdate(Contract):
    """`PUT /tenant`: the intercommunality's name and the full list of its communes."""

    name: str = Field(min_length=1, max_length=200)
    communes: tuple[Commune, ...] = ()


class DeliveryFailureSubmission(Contract):
    """`POST /deliveries/{delivery_id}/failure`: what the driver saw at the door."""

    commune: str = Field(min_length=1, max_length=16, description="INSEE code of the commune")
    recipient_name: str = Field(min_length=1, max_length=200)
    reason: DeliveryFailureReason
    attempted_at: AwareDatetime
    note: str = Field(default="", max_length=500)


class DeliveryFailureAccepted(Contract):
    """The answer to a failure report; `new` is False when this attempt was already recorded."""

    delivery_id: str
    status: str
    new: bool
    correlation_id: str


class ServiceStatus(Contract):
    """One line of `GET /services`: the service's ping, or why there is none."""

    name: str
    state: ComponentState
    version: str | None = None
    uptime_s: float | None = None
    redis: str | None = None
    detail: str = ""
