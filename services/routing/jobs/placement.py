"""Placing a plan's points on the road graph, and saying by id and name which cannot be.

A point farther from any road than the router allows is *misplaced*. A point the caller agreed to
move ("accept at the nearest road point") is placed on its nearest road instead. Fixed points (a
kitchen, a depot, a disposal site, a vehicle's start) cannot be left out of a plan: one of them
misplaced refuses the plan, naming it. Stops can: they become unserved, and the rest is planned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.routing.matrix import Router

Point = tuple[float, float]


class PlacementRefused(ValueError):
    """Nothing can be planned; the message says why, naming each point by id and name."""


@dataclass(frozen=True)
class Spot:
    """A point to place: what it is (`id`, a person-readable `name`) and where it was given."""

    id: str
    name: str
    location: Point


@dataclass(frozen=True)
class Misplaced:
    id: str
    name: str
    distance_m: float  # inf when the coordinates are not a valid position at all
    road: str  # the nearest road's name, "" when unnamed

    def describe(self) -> str:
        label = f"{self.id} ({self.name})" if self.name else self.id
        if not np.isfinite(self.distance_m):
            return f"{label} is not a valid position (lat ±90, lon ±180)"
        road = self.road or "an unnamed road"
        return f"{label} is {self.distance_m:.0f} m from the nearest road ({road})"


@dataclass(frozen=True)
class Placement:
    located: dict[str, Point]  # every placeable spot's location (on its road when accepted)
    misplaced: list[Misplaced]


def place(router: Router, spots: Sequence[Spot], accept_nearest_road: bool = False) -> Placement:
    """Where each spot goes on the road graph; the spots that cannot go anywhere."""
    if not spots:
        return Placement({}, [])
    lat = np.array([s.location[0] for s in spots], dtype=np.float64)
    lon = np.array([s.location[1] for s in spots], dtype=np.float64)
    nearest = router.snapper.nearest(lat, lon)
    located: dict[str, Point] = {}
    misplaced: list[Misplaced] = []
    for i, spot in enumerate(spots):
        distance = float(nearest.distance_m[i])
        if distance <= router.max_snap_m:
            located[spot.id] = spot.location
        elif accept_nearest_road and np.isfinite(distance):
            located[spot.id] = (float(nearest.lat[i]), float(nearest.lon[i]))
        else:
            road = router.graph.road_name(int(nearest.edge[i]))
            misplaced.append(Misplaced(spot.id, spot.name, distance, road))
    return Placement(located, misplaced)


def place_fixed(
    router: Router, spots: Sequence[Spot], accept_nearest_road: bool
) -> dict[str, Point]:
    """Place the points a plan cannot do without; refuse the plan naming each misplaced one."""
    placement = place(router, spots, accept_nearest_road)
    if placement.misplaced:
        raise PlacementRefused(
            "; ".join(m.describe() for m in placement.misplaced)
            + f" (at most {router.max_snap_m:.0f} m allowed): give coordinates on a road, or "
            "send accept_nearest_road=true to place them at the nearest road point"
        )
    return placement.located


def unreachable_stops(
    durations_s: npt.NDArray[np.float64],
    stop_nodes: Sequence[int],
    vehicle_ends: Sequence[tuple[int, int]],
) -> set[int]:
    """Positions (in `stop_nodes`) of the stops that no vehicle can drive to and back from.

    `durations_s` is the raw matrix (inf where no path exists: a road network in two pieces).
    """
    out = set()
    for position, node in enumerate(stop_nodes):
        if not any(
            np.isfinite(durations_s[start, node]) and np.isfinite(durations_s[node, end])
            for start, end in vehicle_ends
        ):
            out.add(position)
    return out


def vehicle_position(router: Router, vehicle_id: str, position: Point) -> Point:
    """Where a vehicle is, on its road (a phone's position is often a little off it)."""
    name = f"vehicle {vehicle_id} position"
    return place_fixed(router, [Spot(name, "", position)], accept_nearest_road=True)[name]


def place_job(
    version: str, spots: list[tuple[str, str, Point]], accept_nearest_road: bool
) -> Placement:
    """`place` in a worker process, on the worker's graph (registration checks)."""
    from services.routing import matrix_pool

    router = matrix_pool.worker_router(version)
    return place(router, [Spot(i, n, (float(p[0]), float(p[1]))) for i, n, p in spots],
                 accept_nearest_road)  # fmt: skip
