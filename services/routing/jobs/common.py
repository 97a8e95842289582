"""What every round job shares: the problem's distinct points, its matrices, its clock, the
trace of the search, the stops left out (off the road network, unreachable), and the steps that
open a re-plan and close a plan."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from contracts.rounds import ReplanRequest, RoundPlan, UnservedOut, VehicleRoundOut, minutes_of
from services.routing import matrix_pool
from services.routing.jobs.placement import Misplaced
from services.routing.matrix import Router
from services.routing.rounds import VehicleProgress

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


def not_on_road_network(misplaced: Iterable[Misplaced]) -> list[UnservedOut]:
    """Stops too far from any road: unserved, named, with how far."""
    return [
        UnservedOut(
            id=m.id, name=m.name, reason="not_on_road_network", detail=m.describe(),
            distance_m=round(m.distance_m, 1) if m.distance_m != float("inf") else None,
        )
        for m in misplaced
    ]  # fmt: skip


def unreachable_unserved(
    names: Sequence[tuple[str, str]], cut: Iterable[int], detail: str
) -> list[UnservedOut]:
    """The stops at the indexes `cut` of `names` ((id, name) each), unserved as unreachable."""
    return [
        UnservedOut(id=names[i][0], name=names[i][1], reason="unreachable", detail=detail)
        for i in sorted(cut)
    ]


def planned_json(out: RoundPlan, trace: SearchTrace, left_out: list[UnservedOut]) -> dict[str, Any]:
    """The plan as JSON, with the search's trace and the stops left out before solving."""
    return out.model_copy(
        update={"search_progress": trace.steps, "unserved": [*left_out, *out.unserved]}
    ).model_dump(mode="json")


@dataclass(frozen=True)
class Replan:
    """What a re-plan of one vehicle starts from: the worker's graph, the plan, the change, and
    the vehicle's own round in that plan."""

    router: Router
    previous: RoundPlan
    change: ReplanRequest
    own: VehicleRoundOut

    def progress(self, done: int, position: int) -> VehicleProgress:
        """Where the vehicle stands: `done` stops served, now at node `position`."""
        return VehicleProgress(
            done=done,
            position=position,
            now=minutes_of(self.change.now) * 60,
            departed_at=minutes_of(self.own.departure) * 60,
            delay=int(self.change.delay_minutes * 60),
        )


def replan_start(
    version: str, previous_json: dict[str, Any], replan_json: dict[str, Any]
) -> Replan:
    previous = RoundPlan.model_validate(previous_json)
    change = ReplanRequest.model_validate(replan_json)
    own = next(v for v in previous.vehicles if v.vehicle_id == change.vehicle_id)
    return Replan(matrix_pool.worker_router(version), previous, change, own)
