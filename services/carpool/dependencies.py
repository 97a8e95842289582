"""nameko glue for the carpool service: one ride-index cache per service process, settings."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.carpool.ride_index import RideIndex
from services.carpool.settings import CarpoolSettings, load_carpool_settings


class RideIndexCache(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        self.index = RideIndex()

    def get_dependency(self, worker_ctx: Any) -> RideIndex:
        return self.index


class CarpoolConfig(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        self.settings = load_carpool_settings(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> CarpoolSettings:
        return self.settings
