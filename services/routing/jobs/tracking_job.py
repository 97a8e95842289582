"""Road times for live tracking, in the routing service's worker processes.

`legs_job` runs once when a round starts: the road time between each stop and the next (one
matrix over the vehicle's stops). `to_stops_job` runs on each position: one single-source search
from the vehicle's snapped position gives the road time to its next stop (and to every other
remaining stop, at the same price). `path_job` draws the road the vehicle has left to its next
stop, for that stop's family only, when they look (not on every position).
"""

from __future__ import annotations

import numpy as np

from services.routing import matrix_pool
from services.routing.jobs.placement import vehicle_position

Point = tuple[float, float]


def legs_job(version: str, stops: list[Point]) -> list[float]:
    """Road seconds from each stop to the next, in order (len(stops) - 1 legs)."""
    if len(stops) < 2:
        return []
    router = matrix_pool.worker_router(version)
    matrix = router.travel_matrix([list(p) for p in stops])
    durations = matrix.durations_s
    return [float(durations[i, i + 1]) for i in range(len(stops) - 1)]


def to_stops_job(version: str, position: Point, stops: list[Point]) -> list[float]:
    """Road seconds from the vehicle's position to each of `stops`: one search from the
    position (a phone a little off the road is placed on its nearest road)."""
    router = matrix_pool.worker_router(version)
    on_road = vehicle_position(router, "tracked", position)
    points = np.array([on_road, *stops], dtype=np.float64)
    snap = router.snapper.snap(points[:, 0], points[:, 1], router.max_snap_m)
    row_ms, _ = router.matrix_rows(snap, 0, 1)
    return [float(ms) / 1000.0 for ms in row_ms[0, 1:]]


def path_job(version: str, position: Point, stop: Point) -> list[list[float]]:
    """The fastest road from the vehicle's position (placed on its road) to the stop, as
    `[lat, lon]` points along the road graph; empty when no road joins them."""
    router = matrix_pool.worker_router(version)
    on_road = vehicle_position(router, "tracked", position)
    try:
        feature = router.route([list(on_road), list(stop)])
    except ValueError:  # the stop is off the graph now (PointError), or unreachable
        return []
    return [[float(lat), float(lon)] for lon, lat in feature["geometry"]["coordinates"]]
