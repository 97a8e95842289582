"""nameko glue for the carpool service: one ride-index cache per service process."""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.carpool.ride_index import RideIndex


class RideIndexCache(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        self.index = RideIndex()

    def get_dependency(self, worker_ctx: Any) -> RideIndex:
        return self.index
