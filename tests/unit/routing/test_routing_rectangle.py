"""Rectangular travel times (few targets, many sources) on the real Kempen graph: exactly the
cells of the full matrix, computed with one reversed Dijkstra per target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.routing.artefact import load_graph
from services.routing.matrix import Router
from services.routing.rectangle import travel_times, travel_times_both_ways


@pytest.mark.parametrize("table_bytes", [256 * 2**20, 0], ids=["junction_table", "per_ask"])
def test_rides_to_a_query_s_few_points_are_the_full_matrix_s_cells(
    kempen_drive_artefact: Path, table_bytes: int
) -> None:
    router = Router(load_graph(kempen_drive_artefact), junction_table_max_bytes=table_bytes)
    rng = np.random.default_rng(12)
    graph = router.graph
    nodes = rng.choice(graph.n_nodes, 60, replace=False)
    points = [[float(graph.node_lat[n]), float(graph.node_lon[n])] for n in nodes]
    # A point between two nodes too, so some pairs share a road chain.
    points.append([(points[0][0] + points[1][0]) / 2, (points[0][1] + points[1][1]) / 2])
    full = router.travel_matrix(points)
    many, few = list(range(0, 58)), [58, 59, 60, 3]  # 3: a source is also a target
    to_few = travel_times(router, [points[i] for i in many], [points[j] for j in few])
    from_few = travel_times(router, [points[j] for j in few], [points[i] for i in many])
    np.testing.assert_array_equal(to_few.durations_s, full.durations_s[np.ix_(many, few)])
    np.testing.assert_array_equal(to_few.distances_m, full.distances_m[np.ix_(many, few)])
    np.testing.assert_array_equal(from_few.durations_s, full.durations_s[np.ix_(few, many)])
    np.testing.assert_array_equal(from_few.distances_m, full.distances_m[np.ix_(few, many)])
    assert to_few.durations_s[3, 3] == 0.0 and np.isfinite(to_few.durations_s).mean() > 0.9
    # Both ways from one snapping: the same cells again.
    ahead, back = travel_times_both_ways(
        router, [points[j] for j in few], [points[i] for i in many]
    )
    assert back is not None
    np.testing.assert_array_equal(ahead.durations_s, from_few.durations_s)
    np.testing.assert_array_equal(back.durations_s, to_few.durations_s)
    np.testing.assert_array_equal(back.distances_m, to_few.distances_m)


def test_a_rectangle_asked_again_comes_from_kept_rows_with_the_same_times(
    kempen_drive_artefact: Path,
) -> None:
    # Rows are kept where there is no junction table (a graph too large for one).
    router = Router(load_graph(kempen_drive_artefact), junction_table_max_bytes=0)
    rng = np.random.default_rng(7)
    graph = router.graph
    nodes = rng.choice(graph.n_nodes, 40, replace=False)
    points = [[float(graph.node_lat[n]), float(graph.node_lon[n])] for n in nodes]
    few, many = points[:4], points[4:]
    first = [travel_times(router, few, many), travel_times(router, many, few)]
    misses = router._row_cache.misses
    again = [travel_times(router, few, many), travel_times(router, many, few)]
    assert router._row_cache.misses == misses and router._row_cache.hits > 0
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.durations_s, b.durations_s)
        np.testing.assert_array_equal(a.distances_m, b.distances_m)
    # The full matrix (too many rows to keep) still agrees cell for cell.
    full = router.travel_matrix(points)
    np.testing.assert_array_equal(again[0].durations_s, full.durations_s[:4, 4:])
    np.testing.assert_array_equal(again[1].durations_s, full.durations_s[4:, :4])
