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
    # The provider's receipts of a call or an SMS, kept beside it (the case's history keeps its
    # own line for good).
    receipts_days: int = Field(default=90, alias="ALERTS_NOTICE_RECEIPTS_DAYS", gt=0, le=3650)

    @property
    def receipts_keep_s(self) -> float:
        return self.receipts_days * 86_400.0


def load_welfare_settings(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> WelfareSettings:
    return load_model(WelfareSettings, config, environ)
