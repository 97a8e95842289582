"""VRPLIB instances in, VRPLIB solutions out: the bridge to the literature's benchmarks.

Conventions, as the best-known values are published:
- VRPTW (Solomon, Gehring–Homberger; any instance with a TIME_WINDOW_SECTION): the DIMACS
  convention, Euclidean distances truncated to one decimal, travel time = distance, objective =
  total distance only. We work in tenths (integers) and divide by 10 when reporting.
- CVRP (Uchoa X): Euclidean distances rounded to the nearest integer.
The depot is location 0; client number i (as in `.sol` files) is location i and stop i - 1.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

from .problem import HORIZON, IntMatrix, Problem, Stop, Vehicle


class InstanceError(ValueError):
    """The file is missing or is not a VRPLIB instance we can solve."""


@dataclass(frozen=True)
class Instance:
    name: str
    problem: Problem
    scale: int  # objective units per instance unit (10 under DIMACS, 1 for rounded CVRP)
    convention: str  # "dimacs" or "rounded"

    def cost(self, objective: int) -> float:
        """The objective in the instance's own convention (one decimal under DIMACS)."""
        return round(objective / self.scale, 1) if self.scale != 1 else float(objective)

    def client_routes(self, routes: tuple[tuple[int, ...], ...]) -> list[list[int]]:
        """Non-empty routes as client numbers, the `.sol` way."""
        return [[stop + 1 for stop in route] for route in routes if route]


def _euclidean(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    out: np.ndarray = np.sqrt((diff**2).sum(axis=-1))
    return out


def dimacs_matrix(coords: np.ndarray) -> IntMatrix:
    """Distances in tenths, truncated: DIMACS' "truncated to one decimal", kept integral."""
    # The small epsilon keeps values like 0.3 * 10 = 2.9999999 from losing a tenth.
    out: IntMatrix = np.floor(_euclidean(coords) * 10 + 1e-9).astype(np.int64)
    return out


def rounded_matrix(coords: np.ndarray) -> IntMatrix:
    out: IntMatrix = np.rint(_euclidean(coords)).astype(np.int64)
    return out


def read_instance(path: str | Path) -> Instance:
    """Parse a VRPLIB file into a `Problem`; raise `InstanceError` with the reason if we cannot."""
    path = Path(path)
    if not path.is_file():
        raise InstanceError(f"{path}: no such file")
    try:
        data = vrplib.read_instance(path, compute_edge_weights=False)
    except Exception as error:  # vrplib raises a variety of errors on malformed input
        raise InstanceError(f"{path}: not a readable VRPLIB instance ({error})") from error
    missing = [k for k in ("node_coord", "demand", "capacity") if k not in data]
    if missing:
        raise InstanceError(f"{path}: missing {', '.join(missing)} (only EUC_2D CVRP/VRPTW)")
    depots = np.atleast_1d(data.get("depot", [0]))
    if len(depots) != 1 or int(depots[0]) != 0:
        raise InstanceError(f"{path}: only instances with one depot, listed first, are supported")
    coords = np.asarray(data["node_coord"], dtype=float)
    demand = np.asarray(data["demand"], dtype=np.int64)
    capacity = int(data["capacity"])
    n = len(coords)
    if "time_window" in data:
        scale, convention, matrix = 10, "dimacs", dimacs_matrix(coords)
        windows = np.floor(np.asarray(data["time_window"], dtype=float) * scale).astype(np.int64)
        service = np.broadcast_to(
            np.floor(np.asarray(data.get("service_time", 0), dtype=float) * scale), (n,)
        ).astype(np.int64)
    else:
        scale, convention, matrix = 1, "rounded", rounded_matrix(coords)
        windows = np.tile(np.array([0, HORIZON], dtype=np.int64), (n, 1))
        service = np.zeros(n, dtype=np.int64)
    if int(demand[1:].max(initial=0)) > capacity:
        raise InstanceError(f"{path}: a client's demand exceeds the vehicle capacity")
    # Fleet: as the instance says; otherwise enough for the demand with room to spare, since
    # bin-packing may need more than total / capacity (the objective is distance, so spares cost
    # nothing when unused).
    fleet = int(data.get("vehicles", 0)) or (math.ceil(int(demand[1:].sum()) / capacity * 1.1) + 2)
    stops = tuple(
        Stop(
            location=i,
            demand=int(demand[i]),
            service=int(service[i]),
            tw_early=int(windows[i, 0]),
            tw_late=int(windows[i, 1]),
        )
        for i in range(1, n)
    )
    depot_vehicle = Vehicle(
        start=0,
        end=0,
        capacity=capacity,
        shift_start=int(windows[0, 0]),
        shift_end=int(windows[0, 1]),
    )
    problem = Problem(matrix, matrix, stops, (depot_vehicle,) * fleet)
    return Instance(str(data.get("name", path.stem)).strip(), problem, scale, convention)


def read_best_known(path: str | Path) -> float | None:
    """The `Cost X` line of a `.sol` file, or None if there is none."""
    match = re.search(r"^\s*Cost\s+([0-9.]+)", Path(path).read_text(), re.MULTILINE)
    return float(match.group(1)) if match else None


def write_solution(path: str | Path, routes: list[list[int]], cost: float) -> None:
    vrplib.write_solution(path, routes, {"Cost": cost})
