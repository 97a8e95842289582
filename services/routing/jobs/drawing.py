"""Drawing a vehicle's round as a driver reads it, with its road on our own graph."""

from __future__ import annotations

from typing import Any

from contracts.rounds import StopOut, VehicleRoundOut
from services.routing.jobs.common import clock
from services.routing.matrix import Router
from services.routing.rounds import TruckRound, VehicleRound


def geometry(router: Router, points: list[list[float]]) -> dict[str, Any] | None:
    if len(points) < 2:
        return None
    try:
        return router.route(points)
    except ValueError:  # an unreachable leg: the plan stands, its drawing does not
        return None


def vehicle_out(
    router: Router,
    solved: VehicleRound | TruckRound,
    vehicle_id: str,
    driver: str | None,
    stops: list[StopOut],
    path: list[list[float]],
    co2_kg_per_km: float,
) -> VehicleRoundOut:
    """One vehicle's round as a driver reads it, with its road drawn on our own graph."""
    return VehicleRoundOut(
        vehicle_id=vehicle_id,
        driver=driver,
        departure=clock(solved.departure),
        return_time=clock(solved.return_time),
        stops=stops,
        km=round(solved.km, 2),
        driving_minutes=round(solved.driving_minutes, 1),
        working_minutes=round(solved.working_minutes, 1),
        co2_kg=round(solved.km * co2_kg_per_km, 2),
        geometry=geometry(router, path),
    )
