"""Travel times from some points to others (sources x targets), not every pair of all of them.

A carpool query needs each ride's points to and from its own few points, never ride to ride:
with few targets the junction paths come from one Dijkstra per target on the reversed graph
(`Router._junction_keys`), so the cost follows the short side. Exact: the same snapping, the same
integer path keys and the same drive along a shared chain as `Router.travel_matrix`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.routing.matrix import (
    FloatArray,
    Router,
    _Ends,
    _keep_better,
    _nullable,
    as_lat_lon,
)
from services.routing.snapping import Snap

_FIELDS = ("junction", "ms", "dm", "cand")


@dataclass(frozen=True)
class TravelTimes:
    durations_s: FloatArray  # (S, T), inf where unreachable
    distances_m: FloatArray  # (S, T)
    graph_version: str

    def to_json(self) -> dict[str, object]:
        """As `TravelTimesResult`: plain lists, null where unreachable."""
        return {
            "graph_version": self.graph_version,
            "durations_s": _nullable(np.round(self.durations_s, 3)),
            "distances_m": _nullable(np.round(self.distances_m, 1)),
        }


def travel_times(
    router: Router, sources: Sequence[Sequence[float]], targets: Sequence[Sequence[float]]
) -> TravelTimes:
    return travel_times_both_ways(router, sources, targets, back=False)[0]


def travel_times_both_ways(
    router: Router,
    sources: Sequence[Sequence[float]],
    targets: Sequence[Sequence[float]],
    back: bool = True,
) -> tuple[TravelTimes, TravelTimes | None]:
    """Sources × targets and, with `back`, targets × sources: the points snapped once."""
    n_src = len(sources)
    lat, lon = as_lat_lon([*sources, *targets])
    snap = router.snapper.snap(lat, lon, router.max_snap_m)  # bad points fail here, at once
    n = len(lat)
    dep, arr = router._ends(snap)
    here = np.column_stack([lat, lon])
    ahead = _rectangle(router, snap, dep, arr, here, range(0, n_src), range(n_src, n))
    if not back:
        return ahead, None
    return ahead, _rectangle(router, snap, dep, arr, here, range(n_src, n), range(0, n_src))


def _rectangle(
    router: Router,
    snap: Snap,
    dep_all: _Ends,
    arr_all: _Ends,
    here: FloatArray,
    rows: range,
    cols: range,
) -> TravelTimes:
    """Points `rows` to points `cols` (each a contiguous range of the snapped points)."""
    dep = _Ends(*(getattr(dep_all, f)[rows.start : rows.stop] for f in _FIELDS))
    arr = _Ends(*(getattr(arr_all, f)[cols.start : cols.stop] for f in _FIELDS))
    best_ms = np.full((len(rows), len(cols)), np.inf)
    best_dm = np.full((len(rows), len(cols)), np.inf)
    if len(rows) and len(cols):
        router._through_junctions(dep, arr, best_ms, best_dm)
        n = len(here)
        along_ms = np.full((len(rows), n), np.inf)
        along_dm = np.full((len(rows), n), np.inf)
        router._along_chains(snap, rows.start, rows.stop, along_ms, along_dm)
        _keep_better(
            best_ms,
            best_dm,
            along_ms[:, cols.start : cols.stop],
            along_dm[:, cols.start : cols.stop],
        )
        same = (here[rows.start : rows.stop, None, :] == here[None, cols.start : cols.stop, :]).all(
            axis=2
        )
        best_ms[same] = 0.0
        best_dm[same] = 0.0
    return TravelTimes(best_ms / 1000.0, best_dm / 10.0, router.graph.version)
