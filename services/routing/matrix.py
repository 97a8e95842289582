"""Travel-time matrices and routes on a road graph artefact. Pure numpy/scipy, exact.

How a matrix is computed (see the routing README for the measurements behind each choice):

1. Each point is snapped onto the nearest road *edge* (``snapping.py``). On its chain (the run of
   edges between two junctions, ``chains.py``) it can leave forward to the chain's head junction and
   can be reached from the chain's tail junction; a two-way street gives both directions.
2. One Dijkstra per distinct departure junction on the junction graph (about 5x smaller than the
   unsimplified graph). Edge weights are integer keys ``duration_ms * 2**k + length``: float64
   sums of integers below 2**53 are exact, so the fastest path is found exactly, ties are broken
   by the shorter length, and the length of that same path comes out of the key for free.
3. For every pair: the best of (offset to departure + junction path + offset from arrival) over
   the candidates, or the direct drive along the chain when both points are on it in that order.

A pair with no path at all (one-way trap, island) has duration and distance ``inf`` in the arrays,
``None`` in the JSON form, and is listed in ``unreachable``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from services.routing.artefact import RoadGraph
from services.routing.row_cache import RowCache
from services.routing.snapping import PointError, Snap, Snapper

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_MAX_SNAP_M = 500.0
_EXACT_LIMIT = 2**53  # integers up to this are exact in float64
# Memory for the junction-to-junction table (float64): 256 MB holds about 5,800 junctions.
JUNCTION_TABLE_MAX_BYTES = 256 * 2**20

__all__ = ["DEFAULT_MAX_SNAP_M", "PointError", "Router", "TravelMatrix", "UnreachableError"]


class UnreachableError(ValueError):
    """A route leg has no drivable path; ``legs`` lists the (from, to) point indexes."""

    def __init__(self, legs: list[tuple[int, int]]) -> None:
        self.legs = legs
        super().__init__("no drivable path for leg(s) " + ", ".join(f"{a} -> {b}" for a, b in legs))

    def __reduce__(self) -> tuple[type[UnreachableError], tuple[list[tuple[int, int]]]]:
        return (UnreachableError, (self.legs,))


@dataclass(frozen=True)
class TravelMatrix:
    durations_s: FloatArray  # (N, N), inf where unreachable
    distances_m: FloatArray  # (N, N), length of the fastest path, inf where unreachable
    snap_distance_m: FloatArray  # (N,)
    snapped: FloatArray  # (N, 2) lat, lon of each point on its road
    unreachable: list[tuple[int, int]]
    graph_version: str

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types; an unreachable pair is null, never a huge number."""
        return {
            "graph_version": self.graph_version,
            "durations_s": _nullable(np.round(self.durations_s, 3)),
            "distances_m": _nullable(np.round(self.distances_m, 1)),
            "snap_distance_m": np.round(self.snap_distance_m, 1).tolist(),
            "snapped": np.round(self.snapped, 7).tolist(),
            "unreachable": [list(pair) for pair in self.unreachable],
        }


@dataclass(frozen=True)
class _Ends:
    """Per point, padded to K: where it can leave to / be reached from on the junction graph."""

    junction: IntArray  # (N, K)
    ms: FloatArray  # (N, K) duration between the point and that junction, inf for padding
    dm: FloatArray  # (N, K) length in decimetres
    cand: IntArray  # (N, K) index of the snap candidate it came from, -1 for padding


class Router:
    """Matrices and routes on one graph; build once per artefact and reuse (not thread-bound)."""

    def __init__(
        self,
        graph: RoadGraph,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        junction_table_max_bytes: int = JUNCTION_TABLE_MAX_BYTES,
    ) -> None:
        self.graph = graph
        self.max_snap_m = max_snap_m
        self.snapper = Snapper(graph)
        c = graph.chains
        n_junctions = len(c.junction_node)
        # Length units inside the key: decimetres when they fit, coarser on huge graphs.
        self._unit_dm = 1
        total_ms = int(c.chain_duration_ms.sum()) + 1
        while total_ms << (int(c.chain_length_dm.sum()) // self._unit_dm + 1).bit_length() >= (
            _EXACT_LIMIT
        ):
            self._unit_dm *= 10
        self._scale = float(1 << (int(c.chain_length_dm.sum()) // self._unit_dm + 1).bit_length())
        key = c.chain_duration_ms * self._scale + np.rint(c.chain_length_dm / self._unit_dm)
        # Parallel chains between two junctions: Dijkstra only needs the best; loops never help.
        order = np.lexsort((key, c.chain_head, c.chain_tail))
        order = order[c.chain_tail[order] != c.chain_head[order]]
        pair = c.chain_tail[order] * n_junctions + c.chain_head[order]
        first = np.concatenate([[True], pair[1:] != pair[:-1]]) if len(pair) else pair.astype(bool)
        best = order[first]
        self._hop_chain = dict(zip(pair[first].tolist(), best.tolist(), strict=True))
        self._n_junctions = n_junctions
        self._csr = csr_matrix(
            (key[best], (c.chain_tail[best], c.chain_head[best])), shape=(n_junctions,) * 2
        )
        self._reversed: csr_matrix | None = None  # built at the first rectangular ask
        # A territory's junction graph is small (Kempen: 2,022 junctions, a 33 MB table, built
        # in about 0.3 s): every junction-to-junction key is then computed once, at the first
        # ask, and each matrix only gathers from it, as OSRM answers from its prepared
        # hierarchy. A larger graph keeps one Dijkstra per source at each ask, and the few rows
        # of rectangles in a cache (row_cache.py).
        self._table_fits = n_junctions * n_junctions * 8 <= junction_table_max_bytes
        self._table: FloatArray | None = None
        self._row_cache = RowCache(n_junctions)

    # ---- matrices ---------------------------------------------------------------------------

    def travel_matrix(self, points: Sequence[Sequence[float]] | FloatArray) -> TravelMatrix:
        """N x N durations (s) and distances (m) between points given as (lat, lon), in this
        process (`matrix_pool.travel_matrix` runs it on a process pool's workers)."""
        lat, lon = as_lat_lon(points)
        snap = self.snapper.snap(lat, lon, self.max_snap_m)  # bad points fail here, at once
        ms, dm = self.matrix_rows(snap, 0, len(lat))
        return self.assemble(snap, ms, dm)

    def assemble(self, snap: Snap, ms: FloatArray, dm: FloatArray) -> TravelMatrix:
        """The matrix from its rows in milliseconds and decimetres (however they were computed)."""
        unreachable = [(int(i), int(j)) for i, j in np.argwhere(~np.isfinite(ms))]
        return TravelMatrix(
            durations_s=ms / 1000.0,
            distances_m=dm / 10.0,
            snap_distance_m=snap.distance_m,
            snapped=np.column_stack([snap.lat, snap.lon]),
            unreachable=unreachable,
            graph_version=self.graph.version,
        )

    def matrix_rows(self, snap: Snap, start: int, stop: int) -> tuple[FloatArray, FloatArray]:
        """Rows start:stop of the matrix, in milliseconds and decimetres (inf if unreachable)."""
        n = len(snap.distance_m)
        dep, arr = self._ends(snap)
        dep = _Ends(*(getattr(dep, f)[start:stop] for f in ("junction", "ms", "dm", "cand")))
        best_ms = np.full((stop - start, n), np.inf)
        best_dm = np.full((stop - start, n), np.inf)
        if stop > start:
            self._through_junctions(dep, arr, best_ms, best_dm)
            self._along_chains(snap, start, stop, best_ms, best_dm)
            rows = np.arange(stop - start)
            best_ms[rows, rows + start] = 0.0
            best_dm[rows, rows + start] = 0.0
        return best_ms, best_dm

    def _through_junctions(
        self, dep: _Ends, arr: _Ends, best_ms: FloatArray, best_dm: FloatArray
    ) -> None:
        sources = np.unique(dep.junction[np.isfinite(dep.ms)])
        targets = np.unique(arr.junction[np.isfinite(arr.ms)])
        if not len(sources) or not len(targets):
            return
        keys = self._junction_keys(sources, targets)
        g_ms = np.floor(keys / self._scale)  # inf stays inf
        rows = np.minimum(np.searchsorted(sources, dep.junction), len(sources) - 1)
        cols = np.minimum(np.searchsorted(targets, arr.junction), len(targets) - 1)
        # Arrival side first, on (sources x points): h[r, j] = best over j's arrival junctions.
        h = np.take(g_ms, cols[:, 0], axis=1)
        h += arr.ms[None, :, 0]
        h_pick = np.zeros(h.shape, dtype=np.int8)
        for b in range(1, arr.junction.shape[1]):
            some = np.flatnonzero(np.isfinite(arr.ms[:, b]))  # most points have 1 or 2 ends
            cand = np.take(g_ms, cols[some, b], axis=1) + arr.ms[None, some, b]
            better = cand < h[:, some]
            h[:, some] = np.where(better, cand, h[:, some])
            h_pick[:, some] = np.where(better, np.int8(b), h_pick[:, some])
        # Then the departure side, on (rows x points).
        total = np.take(h, rows[:, 0], axis=0)
        total += dep.ms[:, 0, None]
        t_pick = np.zeros(total.shape, dtype=np.int8)
        for a in range(1, dep.junction.shape[1]):
            some = np.flatnonzero(np.isfinite(dep.ms[:, a]))
            cand = np.take(h, rows[some, a], axis=0) + dep.ms[some, a, None]
            better = cand < total[some]
            total[some] = np.where(better, cand, total[some])
            t_pick[some] = np.where(better, np.int8(a), t_pick[some])
        # Lengths only for the chosen combination, decoded from the same integer key.
        with np.errstate(invalid="ignore"):  # inf - inf where unreachable; masked below
            g_dm = keys - g_ms * self._scale
        n_cols = total.shape[1]
        r = np.take_along_axis(rows, t_pick, axis=1) if rows.shape[1] > 1 else rows[:, :1]
        r = np.broadcast_to(r, total.shape)
        b = h_pick[r, np.arange(n_cols)[None, :]]
        c = cols[np.arange(n_cols)[None, :], b]
        length = np.take(g_dm, r * g_dm.shape[1] + c)
        length *= self._unit_dm
        length += np.take_along_axis(dep.dm, t_pick, axis=1) if dep.dm.shape[1] > 1 else dep.dm
        length += arr.dm[np.arange(n_cols)[None, :], b]
        reach = np.isfinite(total)
        np.copyto(best_ms, total, where=reach)
        np.copyto(best_dm, length, where=reach)

    def _junction_keys(self, sources: IntArray, targets: IntArray) -> FloatArray:
        """Path keys sources x targets: gathered from the junction table when the graph has one;
        else one Dijkstra per source, or, when the targets are fewer, one per target on the
        reversed graph (the same exact integer sums)."""
        table = self.junction_table()
        if table is not None:
            return table[np.ix_(sources, targets)]
        if len(targets) < len(sources):
            if self._reversed is None:
                self._reversed = self._csr.transpose().tocsr()
            reversed_graph = self._reversed
            back = self._row_cache.rows(
                targets, True, lambda i: dijkstra(reversed_graph, directed=True, indices=i)
            )
            return np.ascontiguousarray(back[:, sources].T)
        ahead = self._row_cache.rows(
            sources, False, lambda i: dijkstra(self._csr, directed=True, indices=i)
        )
        return np.asarray(ahead[:, targets])

    @property
    def uses_junction_table(self) -> bool:
        """Whether matrices gather from a junction table (built at the first ask)."""
        return self._table_fits

    def junction_table(self) -> FloatArray | None:
        """Every junction-to-junction path key, or None when the graph is too large to hold it."""
        if self._table is None and self._table_fits:
            self._table = np.asarray(dijkstra(self._csr, directed=True))
        return self._table

    def _along_chains(
        self, snap: Snap, start: int, stop: int, best_ms: FloatArray, best_dm: FloatArray
    ) -> None:
        """Two points on the same chain, the second ahead: drive straight along it."""
        chain, off_ms, off_dm = self._chain_offsets(snap)
        i, k = _pairs_within_groups(chain)
        ahead = (off_ms[k] >= off_ms[i]) & (snap.cand_point[i] != snap.cand_point[k])
        ahead &= (snap.cand_point[i] >= start) & (snap.cand_point[i] < stop)
        i, k = i[ahead], k[ahead]
        found = np.column_stack(
            [snap.cand_point[i], snap.cand_point[k], off_ms[k] - off_ms[i], off_dm[k] - off_dm[i]]
        )
        # Best per (from, to) pair first, then compare with the paths through junctions.
        found = found[np.lexsort((found[:, 3], found[:, 2], found[:, 1], found[:, 0]))]
        first = np.ones(len(found), dtype=bool)
        first[1:] = (found[1:, 0] != found[:-1, 0]) | (found[1:, 1] != found[:-1, 1])
        found = found[first]
        s, t = found[:, 0].astype(np.int64) - start, found[:, 1].astype(np.int64)
        cur_ms, cur_dm = best_ms[s, t], best_dm[s, t]
        _keep_better(cur_ms, cur_dm, found[:, 2], found[:, 3])
        best_ms[s, t], best_dm[s, t] = cur_ms, cur_dm

    def _chain_offsets(self, snap: Snap) -> tuple[IntArray, FloatArray, FloatArray]:
        c, g, e = self.graph.chains, self.graph, snap.cand_edge
        off_ms = c.edge_offset_ms[e] + snap.cand_fraction * g.edge_duration_ms[e]
        off_dm = c.edge_offset_dm[e] + snap.cand_fraction * g.edge_length_dm[e]
        return c.edge_chain[e], off_ms, off_dm

    def _ends(self, snap: Snap) -> tuple[_Ends, _Ends]:
        c = self.graph.chains
        chain, off_ms, off_dm = self._chain_offsets(snap)
        n = len(snap.distance_m)
        dep = _pad(
            n,
            snap.cand_point,
            c.chain_head[chain],
            c.chain_duration_ms[chain] - off_ms,
            c.chain_length_dm[chain] - off_dm,
        )
        arr = _pad(n, snap.cand_point, c.chain_tail[chain], off_ms, off_dm)
        return dep, arr

    # ---- routes -----------------------------------------------------------------------------

    def route(self, points: Sequence[Sequence[float]] | FloatArray) -> dict[str, Any]:
        """The fastest road path through the points in order, as a GeoJSON LineString Feature."""
        lat, lon = as_lat_lon(points)
        if len(lat) < 2:
            raise PointError([{"index": len(lat), "reason": "a route needs at least 2 points"}])
        snap = self.snapper.snap(lat, lon, self.max_snap_m)
        dep, arr = self._ends(snap)
        chain, off_ms, off_dm = self._chain_offsets(snap)
        trees: dict[int, tuple[FloatArray, IntArray]] = {}
        coords: list[list[float]] = []
        legs: list[dict[str, float]] = []
        broken: list[tuple[int, int]] = []
        for s in range(len(lat) - 1):
            t = s + 1
            best: tuple[float, float, list[tuple[int, float, float]]] = (np.inf, np.inf, [])
            for a in np.flatnonzero(np.isfinite(dep.ms[s])):
                h = int(dep.junction[s, a])
                if h not in trees:
                    keys, pred = dijkstra(
                        self._csr, directed=True, indices=h, return_predecessors=True
                    )
                    trees[h] = (keys, pred)
                keys, pred = trees[h]
                for b in np.flatnonzero(np.isfinite(arr.ms[t])):
                    j = int(arr.junction[t, b])
                    if not np.isfinite(keys[j]):
                        continue
                    g_ms = np.floor(keys[j] / self._scale)
                    g_dm = (keys[j] - g_ms * self._scale) * self._unit_dm
                    total = (dep.ms[s, a] + g_ms + arr.ms[t, b], dep.dm[s, a] + g_dm + arr.dm[t, b])
                    if total < best[:2]:
                        path = self._junction_path(pred, h, j)
                        best = (*total, self._leg_edges(snap, dep.cand[s, a], arr.cand[t, b], path))
            for i in np.flatnonzero(snap.cand_point == s):
                for k in np.flatnonzero((snap.cand_point == t) & (chain == chain[i])):
                    if off_ms[k] >= off_ms[i]:
                        total = (off_ms[k] - off_ms[i], off_dm[k] - off_dm[i])
                        if total < best[:2]:
                            best = (*total, self._direct_edges(snap, int(i), int(k)))
            if not np.isfinite(best[0]):
                broken.append((s, t))
                continue
            legs.append({"duration_s": best[0] / 1000.0, "distance_m": best[1] / 10.0})
            for edge, f0, f1 in best[2]:
                for vertex in self.snapper.edge_polyline(edge, f0, f1):
                    if not coords or coords[-1] != vertex:
                        coords.append(vertex)
        if broken:
            raise UnreachableError(broken)
        if len(coords) < 2:  # every point on the same spot: still a valid LineString
            coords = coords * 2
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {
                "duration_s": round(sum(leg["duration_s"] for leg in legs), 3),
                "distance_m": round(sum(leg["distance_m"] for leg in legs), 1),
                "legs": [{k: round(v, 3) for k, v in leg.items()} for leg in legs],
                "snapped": [[float(a), float(b)] for a, b in zip(snap.lon, snap.lat, strict=True)],
                "snap_distance_m": np.round(snap.distance_m, 1).tolist(),
                "graph_version": self.graph.version,
            },
        }

    def _junction_path(self, pred: IntArray, source: int, target: int) -> list[int]:
        path = [target]
        while path[-1] != source:
            path.append(int(pred[path[-1]]))
        return path[::-1]

    def _chain_edges(self, chain: int) -> list[int]:
        c = self.graph.chains
        edges: list[int] = c.chain_edges[
            c.chain_edge_ptr[chain] : c.chain_edge_ptr[chain + 1]
        ].tolist()
        return edges

    def _leg_edges(
        self, snap: Snap, dep_cand: int, arr_cand: int, path: list[int]
    ) -> list[tuple[int, float, float]]:
        """(edge, from fraction, to fraction) pieces: rest of the first chain, hops, arrival."""
        c = self.graph.chains
        e_s, f_s = int(snap.cand_edge[dep_cand]), float(snap.cand_fraction[dep_cand])
        e_t, f_t = int(snap.cand_edge[arr_cand]), float(snap.cand_fraction[arr_cand])
        first = self._chain_edges(int(c.edge_chain[e_s]))
        pieces = [(e_s, f_s, 1.0)] + [(e, 0.0, 1.0) for e in first[first.index(e_s) + 1 :]]
        for x, y in itertools.pairwise(path):
            hop = self._hop_chain[x * self._n_junctions + y]
            pieces += [(e, 0.0, 1.0) for e in self._chain_edges(hop)]
        last = self._chain_edges(int(c.edge_chain[e_t]))
        pieces += [(e, 0.0, 1.0) for e in last[: last.index(e_t)]] + [(e_t, 0.0, f_t)]
        return pieces

    def _direct_edges(self, snap: Snap, i: int, k: int) -> list[tuple[int, float, float]]:
        e_s, f_s = int(snap.cand_edge[i]), float(snap.cand_fraction[i])
        e_t, f_t = int(snap.cand_edge[k]), float(snap.cand_fraction[k])
        if e_s == e_t:
            return [(e_s, f_s, f_t)]
        edges = self._chain_edges(int(self.graph.chains.edge_chain[e_s]))
        between = edges[edges.index(e_s) + 1 : edges.index(e_t)]
        return [(e_s, f_s, 1.0)] + [(e, 0.0, 1.0) for e in between] + [(e_t, 0.0, f_t)]


def _keep_better(
    best_ms: FloatArray, best_dm: FloatArray, total_ms: FloatArray, total_dm: FloatArray
) -> None:
    """In place: where the new total is faster (or as fast and shorter), take it."""
    better = (total_ms < best_ms) | ((total_ms == best_ms) & (total_dm < best_dm))
    np.copyto(best_ms, total_ms, where=better)
    np.copyto(best_dm, total_dm, where=better)


def _pad(n: int, point: IntArray, junction: IntArray, ms: FloatArray, dm: FloatArray) -> _Ends:
    """Keep the best candidate per (point, junction), then lay them out as (N, K) arrays."""
    cand = np.arange(len(point))
    order = np.lexsort((dm, ms, junction, point))
    pj = point[order] * (int(junction.max(initial=0)) + 1) + junction[order]
    first = np.concatenate([[True], pj[1:] != pj[:-1]]) if len(pj) else pj.astype(bool)
    keep = order[first]
    p = point[keep]
    counts = np.bincount(p, minlength=n)
    width = max(1, int(counts.max(initial=0)))
    slot = np.arange(len(keep)) - np.repeat(np.cumsum(counts) - counts, counts)
    out = _Ends(
        junction=np.zeros((n, width), dtype=np.int64),
        ms=np.full((n, width), np.inf),
        dm=np.full((n, width), np.inf),
        cand=np.full((n, width), -1, dtype=np.int64),
    )
    out.junction[p, slot] = junction[keep]
    out.ms[p, slot] = ms[keep]
    out.dm[p, slot] = dm[keep]
    out.cand[p, slot] = cand[keep]
    return out


def _pairs_within_groups(label: IntArray) -> tuple[IntArray, IntArray]:
    """Every ordered pair (i, k) of indexes that share a label (i == k included), without a
    Python loop over the groups: most groups have one or two members."""
    order = np.argsort(label, kind="stable")
    starts = np.flatnonzero(np.concatenate([[True], label[order][1:] != label[order][:-1]]))
    sizes = np.diff(np.append(starts, len(order)))
    # Each member of a group of size s pairs with the s members of its group.
    member_size = np.repeat(sizes, sizes)
    member_start = np.repeat(starts, sizes)
    first = np.repeat(np.arange(len(order)), member_size)
    within = np.arange(len(first)) - np.repeat(np.cumsum(member_size) - member_size, member_size)
    second = np.repeat(member_start, member_size) + within
    return order[first], order[second]


def as_lat_lon(points: Sequence[Sequence[float]] | FloatArray) -> tuple[FloatArray, FloatArray]:
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise PointError(
            [{"index": 0, "reason": f"points must be [lat, lon] pairs ({error})"}]
        ) from error
    if array.size == 0:
        return np.zeros(0), np.zeros(0)
    if array.ndim != 2 or array.shape[1] != 2:
        raise PointError([{"index": 0, "reason": "points must be a list of [lat, lon] pairs"}])
    return array[:, 0].copy(), array[:, 1].copy()


def _nullable(values: FloatArray) -> list[list[float | None]]:
    return [[v if np.isfinite(v) else None for v in row] for row in values.tolist()]
