"""Liveness of the services and of the system as a whole."""

from typing import Literal

from pydantic import Field

from contracts.base import Contract

ComponentState = Literal["ok", "down", "unresponsive", "error"]


class ServicePing(Contract):
    """What a service's `ping` RPC answers."""

    name: str
    version: str
    uptime_s: float = Field(ge=0)
    redis: Literal["ok", "down"]


class HealthReport(Contract):
    """`GET /health`: 200 when everything is ok, 503 otherwise."""

    status: Literal["ok", "degraded"]
    broker: ComponentState
    redis: ComponentState
    services: dict[str, ComponentState]
