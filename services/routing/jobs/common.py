"""What every round job shares: the problem's distinct points, its matrices, its clock, and the
trace of the search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.routing.matrix import Router

IntMatrix = npt.NDArray[np.int64]
UNREACHABLE_S = 10 * 24 * 3600  # no road: far beyond any shift, so the solver never uses it


class Locations:
    """Distinct points of a problem; index 0 is the depot."""

    def __init__(self, depot: Sequence[float]) -> None:
        self.points: list[list[float]] = []
        self._index: dict[tuple[float, float], int] = {}
        self.add(depot)

    def add(self, point: Sequence[float]) -> int:
        key = (round(float(point[0]), 7), round(float(point[1]), 7))
        if key not in self._index:
            self._index[key] = len(self.points)
            self.points.append([key[0], key[1]])
        return self._index[key]


@dataclass(frozen=True)
class Matrices:
    duration: IntMatrix  # seconds, UNREACHABLE_S where no path exists
    distance: IntMatrix  # metres
    raw_durations_s: npt.NDArray[np.float64]  # inf where no path exists


def matrices(router: Router, points: list[list[float]]) -> Matrices:
    matrix = router.travel_matrix(points)
    finite = np.isfinite(matrix.durations_s)
    durations = np.where(finite, np.rint(matrix.durations_s), UNREACHABLE_S)
    distances = np.where(np.isfinite(matrix.distances_m), np.rint(matrix.distances_m), 0)
    return Matrices(
        durations.astype(np.int64), distances.astype(np.int64), np.asarray(matrix.durations_s)
    )


def clock(seconds: int | float) -> str:
    minutes = round(seconds / 60)
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


class SearchTrace:
    """Collects the solver's progress reports (each better plan found, and when)."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []

    def __call__(self, best_cost: int, elapsed_s: float, engine: str) -> None:
        self.steps.append(
            {"elapsed_s": round(elapsed_s, 2), "best_cost": int(best_cost), "engine": engine}
        )
