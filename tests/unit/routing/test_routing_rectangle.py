"""Rectangular travel times (few targets, many sources) on the real Kempen graph: exactly the
cells of the full matrix, computed with one reversed Dijkstra per target."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.routing.artefact import load_graph
from services.routing.matrix import Router
from services.routing.rectangle import travel_times


def test_rides_to_a_query_s_few_points_are_the_full_matrix_s_cells(
    kempen_drive_artefact: Path,
) -> None:
    router = Router(load_graph(kempen_drive_artefact))
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
