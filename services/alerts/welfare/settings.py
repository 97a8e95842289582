"""The welfare check's and the family SMS's settings (environment or nameko config)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.settings import load_model


class WelfareSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    ack_delay_s: float = Field(default=600.0, alias="ALERTS_WELFARE_ACK_DELAY_S", gt=0)
    help_after_s: float = Field(default=1800.0, alias="ALERTS_WELFARE_HELP_AFTER_S", gt=0)
    eta_notice_min: float = Field(default=15.0, alias="ALERTS_FAMILY_ETA_NOTICE_MIN", gt=0, le=120)
    lease_s: float = Field(default=30.0, alias="ALERTS_WELFARE_LEASE_S", gt=0, le=600)


def load_welfare_settings(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> WelfareSettings:
    return load_model(WelfareSettings, config, environ)
