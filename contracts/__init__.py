"""Bocage contracts: every message shape shared between services. Imports nothing of ours."""

from contracts.base import Contract
from contracts.deliveries import DeliveryFailed, DeliveryFailureReport
from contracts.envelope import SCHEMA_VERSION, Envelope
from contracts.escalations import Escalation
from contracts.health import HealthReport, ServicePing
from contracts.users import (
    Commune,
    LoginRequest,
    Role,
    Tenant,
    TokenResponse,
    UserCreate,
    UserPublic,
)

__all__ = [
    "SCHEMA_VERSION",
    "Commune",
    "Contract",
    "DeliveryFailed",
    "DeliveryFailureReport",
    "Envelope",
    "Escalation",
    "HealthReport",
    "LoginRequest",
    "Role",
    "ServicePing",
    "Tenant",
    "TokenResponse",
    "UserCreate",
    "UserPublic",
]
