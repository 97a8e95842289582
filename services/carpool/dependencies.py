"""nameko glue for the carpool service: one ride-index cache and one territory cache per service
process, settings."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.carpool.ride_index import RideIndex
from services.carpool.settings import CarpoolSettings, load_carpool_settings
from services.carpool.sms_claims import process_owner
from services.carpool.territory import TerritoryCache


class RideIndexCache(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        self.index = RideIndex()

    def get_dependency(self, worker_ctx: Any) -> RideIndex:
        return self.index


class TerritoryKeeper(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        self.cache = TerritoryCache()

    def get_dependency(self, worker_ctx: Any) -> TerritoryCache:
        return self.cache


class CarpoolConfig(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        self.settings = load_carpool_settings(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> CarpoolSettings:
        return self.settings


class ProcessOwner(DependencyProvider):  # type: ignore[misc]
    """This process's name in the SMS claims and their leases (`sms_claims.py`)."""

    def setup(self) -> None:
        self.owner = process_owner()

    def get_dependency(self, worker_ctx: Any) -> str:
        return self.owner
