"""The alerts service's own settings: the provider, its pace, and where webhooks come back.

Secrets (the Twilio auth token) come only from the environment or the nameko config, which reads
the environment; nothing here has a real credential as a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.alerts.retention import DEFAULT_KEEP_DAYS
from services.common.settings import load_model


class AlertsSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    twilio_account_sid: str = Field(alias="TWILIO_ACCOUNT_SID", min_length=1)
    twilio_auth_token: str = Field(alias="TWILIO_AUTH_TOKEN", min_length=1, repr=False)
    twilio_base_url: str | None = Field(default=None, alias="TWILIO_BASE_URL")
    sms_sender: str = Field(default="MAIRIE", alias="ALERTS_SMS_SENDER", max_length=16)
    voice_caller: str = Field(default="+33300000000", alias="ALERTS_VOICE_CALLER")
    public_base_url: str | None = Field(default=None, alias="ALERTS_PUBLIC_BASE_URL")
    # The status receiver's public base, when status callbacks have one of their own.
    status_base_url: str | None = Field(default=None, alias="ALERTS_STATUS_BASE_URL")
    sms_segments_per_second: float = Field(default=0.0, alias="ALERTS_SMS_RATE", ge=0)
    calls_per_second: float = Field(default=0.0, alias="ALERTS_CALL_RATE", ge=0)
    provider_timeout_s: float = Field(default=10.0, alias="ALERTS_PROVIDER_TIMEOUT_S", gt=0, le=120)
    concurrency: int = Field(default=48, alias="ALERTS_SENDER_CONCURRENCY", ge=1, le=1000)
    # "inline": the nameko service delivers (green threads); "external": asyncio sender
    # processes (`python -m services.alerts.async_sender`) deliver, the service only answers.
    delivery: Literal["inline", "external"] = Field(default="inline", alias="ALERTS_DELIVERY")
    # An instance that has not renewed its lease in Redis for this long is taken for dead, and
    # another instance settles what it left in flight.
    lease_s: float = Field(default=10.0, alias="ALERTS_LEASE_S", ge=1, le=600)
    max_calls: int = Field(default=3, alias="ALERTS_MAX_CALLS", ge=1, le=10)
    recall_after_s: float = Field(default=300.0, alias="ALERTS_RECALL_AFTER_S", ge=0)
    # A sent SMS or call with no final status after this long (its callback lost, or callbacks
    # not configured): the provider is asked, then again less and less often, until give-up.
    receipt_chase_after_s: float = Field(
        default=300.0, alias="ALERTS_RECEIPT_CHASE_AFTER_S", ge=1, le=86400
    )
    receipt_give_up_s: float = Field(
        default=86400.0, alias="ALERTS_RECEIPT_GIVE_UP_S", ge=60, le=7 * 86400
    )
    cap_schema: str | None = Field(default=None, alias="ALERTS_CAP_SCHEMA")
    # The Base Adresse Nationale files (adresses-<dep>.csv[.gz]) that place contacts on the map.
    address_dir: str | None = Field(default=None, alias="ALERTS_ADDRESS_DIR")
    # Who was sent what (recipient states, each contact's message history), kept this long after
    # a campaign's last message, then purged by the daily retention job.
    sms_log_retention_days: int = Field(
        default=DEFAULT_KEEP_DAYS, alias="ALERTS_SMS_LOG_RETENTION_DAYS", ge=1, le=3650
    )


def load_alerts_settings(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> AlertsSettings:
    return load_model(
        AlertsSettings,
        config,
        environ,
        hint=" (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN; `bocage up` starts the sandbox "
        "and sets them when no real credentials are given)",
    )
