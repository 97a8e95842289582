"""Snapping points to the nearest road: onto the edges, not only the nodes.

Pure numpy/scipy. Coordinates are projected to a local plane (equirectangular around the graph's
mean latitude: under 0.1 % error over a territory of a few tens of kilometres), where the nearest
point of every road segment is found exactly. A point next to a long straight road is placed on
that road, not at the far corner where the road's next node happens to be.

A snapped point sits on one or more directed edges: both directions of a two-way street, or all the
edges of a crossing when it lands on the crossing itself. Each is a candidate (edge, fraction along
the edge by length); together they describe one physical spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from services.routing.artefact import RoadGraph

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EARTH_RADIUS_M = 6_371_008.8
PIECE_M = 40.0  # long segments are indexed in pieces, so a radius search stays small
SAME_SPOT_M = 1e-3  # candidates this close are the same physical spot (float noise)


class PointError(ValueError):
    """Some points cannot be placed on the road graph; ``problems`` names each one and why."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        parts = []
        for p in problems:
            parts.append(f"point {p['index']}: {p['reason']}")
        super().__init__("; ".join(parts))

    def __reduce__(self) -> tuple[type[PointError], tuple[list[dict[str, Any]]]]:
        # Raised in a pool worker, it must come back whole across the process boundary.
        return (PointError, (self.problems,))


@dataclass(frozen=True)
class Snap:
    distance_m: FloatArray  # (N,) from each point to its road
    lat: FloatArray  # (N,) snapped position
    lon: FloatArray
    cand_point: IntArray  # (M,) candidates, grouped by point
    cand_edge: IntArray  # (M,)
    cand_fraction: FloatArray  # (M,) 0 at the edge's tail, 1 at its head


@dataclass(frozen=True)
class Nearest:
    """Each point's nearest road, however far (see `Snapper.nearest`)."""

    distance_m: FloatArray  # (N,) inf for an invalid coordinate
    lat: FloatArray  # (N,) the nearest point of that road
    lon: FloatArray
    edge: IntArray  # (N,) the road's edge, -1 for an invalid coordinate


@dataclass(frozen=True)
class _Search:
    point: IntArray  # candidate pairs (point, segment), with their projections
    seg: IntArray
    t: FloatArray
    qx: FloatArray
    qy: FloatArray
    dist: FloatArray
    best_dist: FloatArray  # (N,) per point
    best: IntArray  # (N,) index of each point's best candidate


class Snapper:
    def __init__(self, graph: RoadGraph) -> None:
        self._graph = graph
        self._lat0 = float(np.radians(graph.node_lat.mean()))
        gx, gy = self.project(graph.geom_lat, graph.geom_lon)
        ptr = graph.geom_ptr
        counts = np.diff(ptr)
        # Segments join consecutive vertices of the same edge polyline.
        starts = np.ones(len(gx) - 1, dtype=bool)
        starts[ptr[1:-1] - 1] = False
        start = np.flatnonzero(starts)
        self._seg_edge = np.repeat(np.arange(graph.n_edges), counts - 1)
        self._ax, self._ay = gx[start], gy[start]
        self._bx, self._by = gx[start + 1], gy[start + 1]
        seg_len = np.hypot(self._bx - self._ax, self._by - self._ay)
        self._seg_len = seg_len
        # Planar length of each edge, and where each segment starts along its edge.
        edge_len = np.zeros(graph.n_edges)
        np.add.at(edge_len, self._seg_edge, seg_len)
        self._edge_len = edge_len
        first_seg = np.concatenate([[0], np.cumsum(counts - 1)[:-1]])
        cum = np.cumsum(seg_len) - seg_len
        self._seg_from = cum - cum[first_seg[self._seg_edge]]
        pieces = np.maximum(1, np.ceil(seg_len / PIECE_M)).astype(np.int64)
        self._piece_seg = np.repeat(np.arange(len(seg_len)), pieces)
        within = np.arange(len(self._piece_seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t = (within + 0.5) / pieces[self._piece_seg]
        px = self._ax[self._piece_seg] + t * (self._bx - self._ax)[self._piece_seg]
        py = self._ay[self._piece_seg] + t * (self._by - self._ay)[self._piece_seg]
        self._half_piece = float(np.max(seg_len / pieces) / 2) if len(seg_len) else 0.0
        self._tree = cKDTree(np.column_stack([px, py]))

    def project(self, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
        x = EARTH_RADIUS_M * np.cos(self._lat0) * np.radians(lon)
        y = EARTH_RADIUS_M * np.radians(lat)
        return x, y

    def unproject(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        lat = np.degrees(y / EARTH_RADIUS_M)
        lon = np.degrees(x / (EARTH_RADIUS_M * np.cos(self._lat0)))
        return lat, lon

    def nearest(self, lat: FloatArray, lon: FloatArray) -> Nearest:
        """The nearest road of each point, however far; never raises.

        A point that is not a valid coordinate gets an infinite distance and edge -1."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        n = len(lat)
        valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        distance = np.full(n, np.inf)
        out_lat, out_lon = np.full(n, np.nan), np.full(n, np.nan)
        edge = np.full(n, -1, dtype=np.int64)
        if valid.any() and len(self._seg_len):
            found = self._search(lat[valid], lon[valid])
            distance[valid] = found.best_dist
            out_lat[valid], out_lon[valid] = self.unproject(
                found.qx[found.best], found.qy[found.best]
            )
            edge[valid] = self._seg_edge[found.seg[found.best]]
        return Nearest(distance, out_lat, out_lon, edge)

    def _search(self, lat: FloatArray, lon: FloatArray) -> _Search:
        x, y = self.project(lat, lon)
        n = len(lat)
        nearest_mid, _ = self._tree.query(np.column_stack([x, y]))
        # Any segment nearer than the nearest piece midpoint has a midpoint within half a piece.
        radius = nearest_mid + self._half_piece + SAME_SPOT_M
        hits = self._tree.query_ball_point(np.column_stack([x, y]), radius)
        counts = np.array([len(h) for h in hits], dtype=np.int64)
        point = np.repeat(np.arange(n), counts)
        seg = self._piece_seg[np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])]
        point, seg = _unique_pairs(point, seg)
        t, qx, qy, dist = self._project_on_segments(x[point], y[point], seg)
        best_dist = np.full(n, np.inf)
        np.minimum.at(best_dist, point, dist)
        order = np.lexsort((dist, point))
        best = order[np.searchsorted(point[order], np.arange(n))]
        return _Search(point, seg, t, qx, qy, dist, best_dist, best)

    def snap(self, lat: FloatArray, lon: FloatArray, max_distance_m: float) -> Snap:
        """Snap each point; raise PointError listing every point that is invalid or too far."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        problems = _invalid_coordinates(lat, lon)
        if problems:
            raise PointError(problems)
        n = len(lat)
        if n == 0:
            empty = np.zeros(0)
            return Snap(empty, empty, empty, empty.astype(np.int64), empty.astype(np.int64), empty)
        found = self._search(lat, lon)
        point, seg, t, qx, qy = found.point, found.seg, found.t, found.qx, found.qy
        dist, best_dist, best = found.dist, found.best_dist, found.best
        far = best_dist > max_distance_m
        if far.any():
            raise PointError(
                [
                    {
                        "index": int(i),
                        "reason": f"is {best_dist[i]:.0f} m from the nearest road "
                        f"(at most {max_distance_m:.0f} m allowed)",
                        "distance_m": float(best_dist[i]),
                    }
                    for i in np.flatnonzero(far)
                ]
            )
        same = (dist <= best_dist[point] + SAME_SPOT_M) & (
            np.hypot(qx - qx[best][point], qy - qy[best][point]) <= SAME_SPOT_M
        )
        point, seg, t = point[same], seg[same], t[same]
        edge = self._seg_edge[seg]
        along = self._seg_from[seg] + t * self._seg_len[seg]
        length = self._edge_len[edge]
        fraction = np.divide(along, length, out=np.zeros_like(along), where=length > 0)
        fraction = np.clip(fraction, 0.0, 1.0)
        # Two segments of one edge meet at a shape vertex: keep one candidate per edge.
        keep = np.unique(point * (self._graph.n_edges + 1) + edge, return_index=True)[1]
        snapped_lat, snapped_lon = self.unproject(qx[best], qy[best])
        return Snap(
            distance_m=best_dist,
            lat=snapped_lat,
            lon=snapped_lon,
            cand_point=point[keep],
            cand_edge=edge[keep],
            cand_fraction=fraction[keep],
        )

    def edge_polyline(self, edge: int, start: float, end: float) -> list[list[float]]:
        """[lon, lat] vertices of an edge between two fractions of its length (start <= end)."""
        g = self._graph
        lat = g.geom_lat[g.geom_ptr[edge] : g.geom_ptr[edge + 1]]
        lon = g.geom_lon[g.geom_ptr[edge] : g.geom_ptr[edge + 1]]
        x, y = self.project(lat, lon)
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
        total = cum[-1]
        if total <= 0:
            return [[float(lon[0]), float(lat[0])]]
        a, b = start * total, end * total
        inner = (cum > a) & (cum < b)
        xs = np.concatenate([[np.interp(a, cum, x)], x[inner], [np.interp(b, cum, x)]])
        ys = np.concatenate([[np.interp(a, cum, y)], y[inner], [np.interp(b, cum, y)]])
        out_lat, out_lon = self.unproject(xs, ys)
        return [[float(o), float(a_)] for o, a_ in zip(out_lon, out_lat, strict=True)]

    def _project_on_segments(
        self, x: FloatArray, y: FloatArray, seg: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        ax, ay = self._ax[seg], self._ay[seg]
        dx, dy = self._bx[seg] - ax, self._by[seg] - ay
        sq = dx * dx + dy * dy
        raw = np.divide((x - ax) * dx + (y - ay) * dy, sq, out=np.zeros_like(sq), where=sq > 0)
        t = np.clip(raw, 0.0, 1.0)
        qx, qy = ax + t * dx, ay + t * dy
        return t, qx, qy, np.hypot(x - qx, y - qy)


def _invalid_coordinates(lat: FloatArray, lon: FloatArray) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    for i, (la, lo) in enumerate(zip(lat.tolist(), lon.tolist(), strict=True)):
        if not (np.isfinite(la) and np.isfinite(lo)):
            problems.append({"index": i, "reason": f"({la}, {lo}) is not a number"})
        elif not (-90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0):
            problems.append(
                {"index": i, "reason": f"({la}, {lo}) is out of range (lat ±90, lon ±180)"}
            )
    return problems


def _unique_pairs(point: IntArray, seg: IntArray) -> tuple[IntArray, IntArray]:
    stride = int(seg.max()) + 1 if len(seg) else 1
    key = np.unique(point * stride + seg)
    return key // stride, key % stride
