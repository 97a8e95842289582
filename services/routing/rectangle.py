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
    _as_lat_lon,
    _Ends,
    _keep_better,
    _nullable,
)

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
    n_src = len(sources)
    lat, lon = _as_lat_lon([*sources, *targets])
    snap = router.snapper.snap(lat, lon, router.max_snap_m)  # bad points fail here, at once
    n = len(lat)
    dep, arr = router._ends(snap)
    dep = _Ends(*(getattr(dep, f)[:n_src] for f in _FIELDS))
    arr = _Ends(*(getattr(arr, f)[n_src:] for f in _FIELDS))
    best_ms = np.full((n_src, n - n_src), np.inf)
    best_dm = np.full((n_src, n - n_src), np.inf)
    if n_src and n > n_src:
        router._through_junctions(dep, arr, best_ms, best_dm)
        along_ms = np.full((n_src, n), np.inf)
        along_dm = np.full((n_src, n), np.inf)
        router._along_chains(snap, 0, n_src, along_ms, along_dm)
        _keep_better(best_ms, best_dm, along_ms[:, n_src:], along_dm[:, n_src:])
        here = np.column_stack([lat, lon])
        same = (here[:n_src, None, :] == here[None, n_src:, :]).all(axis=2)
        best_ms[same] = 0.0
        best_dm[same] = 0.0
    return TravelTimes(best_ms / 1000.0, best_dm / 10.0, router.graph.version)
