"""The carpool service's own settings (nameko config, else environment)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.carpool.retention import DEFAULT_KEEP_DAYS
from services.common.settings import load_model


class CarpoolSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    answer_within_s: float = Field(
        default=1800, alias="CARPOOL_ANSWER_WITHIN_S", ge=1, le=86_400,
        description="how long a driver has to accept a booking before its seat is given back",
    )  # fmt: skip
    retention_days: int = Field(
        default=DEFAULT_KEEP_DAYS, alias="CARPOOL_RETENTION_DAYS", ge=1, le=3650,
        description="days after its last day that an offer, a request or a booking is kept; "
        "trips are then kept as anonymous figures",
    )  # fmt: skip


def load_carpool_settings(config: Mapping[str, Any] | None = None) -> CarpoolSettings:
    return load_model(CarpoolSettings, config)
