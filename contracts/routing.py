"""Travel times and routes on the road graph."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from contracts.base import Contract

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
LatLon = tuple[Latitude, Longitude]

MAX_MATRIX_POINTS = 2000


class MatrixRequest(Contract):
    points: list[LatLon] = Field(
        min_length=1, max_length=MAX_MATRIX_POINTS, description="[lat, lon] pairs (WGS84)"
    )


class TravelTimesRequest(Contract):
    """From each source to each target (a rectangle), e.g. many rides to a query's few points."""

    sources: list[LatLon] = Field(min_length=1, max_length=MAX_MATRIX_POINTS)
    targets: list[LatLon] = Field(min_length=1, max_length=MAX_MATRIX_POINTS)
    both_ways: bool = Field(
        default=False, description="also targets × sources, in `back_…` (one call, not two)"
    )


class TravelTimesResult(Contract):
    """len(sources) × len(targets) durations (s) and distances (m); null where no path exists."""

    graph_version: str
    durations_s: list[list[float | None]]
    distances_m: list[list[float | None]]
    back_durations_s: list[list[float | None]] | None = Field(
        default=None, description="with `both_ways`: len(targets) × len(sources)"
    )
    back_distances_m: list[list[float | None]] | None = None


class RouteRequest(Contract):
    points: list[LatLon] = Field(min_length=2, max_length=200, description="stops, in order")


class TravelMatrixResult(Contract):
    """N×N durations (s) and distances (m); null where no drivable path exists."""

    graph_version: str
    durations_s: list[list[float | None]]
    distances_m: list[list[float | None]]
    snap_distance_m: list[float] = Field(description="how far each point was from its road")
    snapped: list[list[float]] = Field(description="each point on its road, [lat, lon]")
    unreachable: list[list[int]] = Field(description="[from, to] pairs with no drivable path")
    cached: bool = False
