"""The envelope around every event and RPC payload (DESIGN.md, "Messages")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, Field, field_validator

from contracts.base import Contract

SCHEMA_VERSION = 1


def _new_event_id() -> str:
    return str(uuid.uuid4())


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(Contract):
    """Metadata that travels with a payload: identity for idempotency, time, tracing, tenant."""

    event_id: str = Field(default_factory=_new_event_id, min_length=1, max_length=64)
    occurred_at: AwareDatetime = Field(default_factory=_utc_now)
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)
    correlation_id: str | None = Field(default=None, max_length=128)
    tenant: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # Every envelope carries UTC so that two services never disagree on an instant.
        return value.astimezone(UTC)

    @classmethod
    def wrap(
        cls,
        payload: Contract,
        *,
        tenant: str,
        correlation_id: str | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        """Wrap a contract model; the payload is stored as its JSON-mode dump."""
        extra: dict[str, Any] = {}
        if event_id is not None:
            extra["event_id"] = event_id
        return cls(
            tenant=tenant,
            correlation_id=correlation_id,
            payload=payload.model_dump(mode="json"),
            **extra,
        )
