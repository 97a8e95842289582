"""Matrices, snapping and routes on tiny hand-made graphs, checked against networkx."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.routing import reference
from services.routing.artefact import RoadGraph
from services.routing.chains import contract
from services.routing.matrix import PointError, Router, UnreachableError

pytestmark = pytest.mark.unit

LAT = 50.0


def make_graph(
    coords: list[tuple[float, float]], edges: list[tuple[int, int]], kph: float = 36.0
) -> RoadGraph:
    """Straight edges between (lat, lon) nodes; 36 km/h is 10 m/s, easy to read."""
    order = sorted(range(len(edges)), key=lambda e: edges[e])
    edges = [edges[e] for e in order]
    tail = np.array([u for u, _ in edges], dtype=np.int64)
    head = np.array([v for _, v in edges], dtype=np.int64)
    lat = np.array([c[0] for c in coords])
    lon = np.array([c[1] for c in coords])
    length_m = np.array([_metres(coords[u], coords[v]) for u, v in edges])
    duration_ms = np.rint(length_m / (kph / 3.6) * 1000).astype(np.int64)
    length_dm = np.rint(length_m * 10).astype(np.int64)
    return RoadGraph(
        version="tiny",
        meta={},
        node_lat=lat,
        node_lon=lon,
        node_osmid=np.arange(len(coords), dtype=np.int64),
        edge_ptr=np.searchsorted(tail, np.arange(len(coords) + 1)).astype(np.int64),
        edge_tail=tail,
        edge_head=head,
        edge_duration_ms=duration_ms,
        edge_length_dm=length_dm,
        geom_ptr=np.arange(0, 2 * len(edges) + 1, 2, dtype=np.int64),
        geom_lat=np.array([lat[i] for e in edges for i in e]),
        geom_lon=np.array([lon[i] for e in edges for i in e]),
        chains=contract(len(coords), tail, head, duration_ms, length_dm),
    )


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = math.radians(b[0] - a[0]) * 6_371_008.8
    dx = math.radians(b[1] - a[1]) * 6_371_008.8 * math.cos(math.radians(LAT))
    return math.hypot(dx, dy)


def two_way(*pairs: tuple[int, int]) -> list[tuple[int, int]]:
    return [e for u, v in pairs for e in ((u, v), (v, u))]


@pytest.fixture
def village() -> RoadGraph:
    """A street 0-1-2-4 (two-way, 1 is a shape node) and a one-way dead end 2 -> 3."""
    coords = [(LAT, 3.000), (LAT, 3.001), (LAT, 3.002), (LAT + 0.001, 3.002), (LAT, 3.003)]
    return make_graph(coords, [*two_way((0, 1), (1, 2), (2, 4)), (2, 3)])


@pytest.fixture
def one_way_ring() -> RoadGraph:
    """A one-way square 0 -> 1 -> 2 -> 3 -> 0: no junction at all."""
    coords = [(LAT, 3.000), (LAT, 3.001), (LAT + 0.001, 3.001), (LAT + 0.001, 3.000)]
    return make_graph(coords, [(0, 1), (1, 2), (2, 3), (3, 0)])


def _check_against_networkx(graph: RoadGraph, points: list[tuple[float, float]]) -> np.ndarray:
    router = Router(graph)
    matrix = router.travel_matrix(points)
    snap = router.snapper.snap(np.array(points)[:, 0], np.array(points)[:, 1], router.max_snap_m)
    expected = reference.durations(
        reference.with_points(reference.networkx_graph(graph), graph, snap), len(points)
    )
    assert np.array_equal(np.isfinite(expected), np.isfinite(matrix.durations_s))
    finite = np.isfinite(expected)
    assert np.abs(expected[finite] - matrix.durations_s[finite]).max() < 1e-6
    return matrix.durations_s


def test_a_one_way_dead_end_is_reported_unreachable_never_a_huge_number(village: RoadGraph) -> None:
    points = [(LAT + 0.0001, 3.0005), (LAT + 0.0008, 3.0021), (LAT - 0.0001, 3.0028)]
    matrix = Router(village).travel_matrix(points)
    # Point 1 is on the dead end: it can be reached, but it cannot leave.
    assert matrix.unreachable == [(1, 0), (1, 2)]
    as_json = matrix.to_json()
    assert as_json["durations_s"][1] == [None, 0.0, None]
    assert as_json["distances_m"][1][0] is None
    assert as_json["durations_s"][0][1] > 0
    _check_against_networkx(village, points)


def test_on_a_one_way_edge_going_back_means_driving_round(one_way_ring: RoadGraph) -> None:
    side = _metres((LAT, 3.0), (LAT, 3.001))
    points = [(LAT - 0.00005, 3.00025), (LAT - 0.00005, 3.00075)]  # both on edge 0 -> 1
    durations = _check_against_networkx(one_way_ring, points)
    assert durations[0, 1] == pytest.approx(side / 2 / 10, abs=0.01)  # straight ahead
    ring = 2 * side + 2 * _metres((LAT, 3.0), (LAT + 0.001, 3.0))
    assert durations[1, 0] == pytest.approx((ring - side / 2) / 10, abs=0.01)  # round the ring


def test_points_on_the_same_spot_are_zero_apart(village: RoadGraph) -> None:
    points = [(LAT + 0.0001, 3.0005), (LAT + 0.0001, 3.0005), (LAT, 3.002)]
    durations = _check_against_networkx(village, points)
    assert durations[0, 1] == 0 and durations[1, 0] == 0


def test_snapping_lands_on_the_road_not_on_the_nearest_node(village: RoadGraph) -> None:
    matrix = Router(village).travel_matrix([(LAT + 0.0001, 3.0005)])
    assert matrix.snap_distance_m[0] == pytest.approx(11.1, abs=0.2)
    assert matrix.snapped[0] == pytest.approx([LAT, 3.0005], abs=1e-7)


def test_far_and_invalid_points_are_named_with_the_reason(village: RoadGraph) -> None:
    router = Router(village, max_snap_m=100)
    with pytest.raises(PointError) as caught:
        router.travel_matrix([(LAT, 3.001), (LAT + 0.01, 3.001), (float("nan"), 3.0), (95.0, 3.0)])
    problems = {p["index"]: p["reason"] for p in caught.value.problems}
    assert set(problems) == {2, 3}  # invalid coordinates are reported before distances
    assert "not a number" in problems[2] and "out of range" in problems[3]
    with pytest.raises(PointError) as caught:
        router.travel_matrix([(LAT, 3.001), (LAT + 0.01, 3.001)])
    (problem,) = caught.value.problems
    assert problem["index"] == 1 and problem["distance_m"] == pytest.approx(1003, rel=0.01)
    assert "1003 m from the nearest road" in str(caught.value)


def test_route_follows_the_roads_and_matches_the_matrix(village: RoadGraph) -> None:
    points = [(LAT + 0.0001, 3.0005), (LAT - 0.0001, 3.0028), (LAT + 0.0008, 3.0021)]
    router = Router(village)
    feature = router.route(points)
    matrix = router.travel_matrix(points)
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    coords = feature["geometry"]["coordinates"]
    assert coords[0] == pytest.approx([3.0005, LAT], abs=1e-7)
    assert coords[-1] == pytest.approx([3.002, LAT + 0.0008], abs=1e-6)
    assert [3.002, LAT] in [[round(x, 7), round(y, 7)] for x, y in coords]  # via node 2
    legs = feature["properties"]["legs"]
    assert legs[0]["duration_s"] == pytest.approx(matrix.durations_s[0, 1], abs=1e-3)
    assert legs[1]["duration_s"] == pytest.approx(matrix.durations_s[1, 2], abs=1e-3)
    total = matrix.durations_s[0, 1] + matrix.durations_s[1, 2]
    assert feature["properties"]["duration_s"] == pytest.approx(total, abs=2e-3)


def test_a_route_out_of_a_dead_end_is_refused_by_leg(village: RoadGraph) -> None:
    with pytest.raises(UnreachableError) as caught:
        Router(village).route([(LAT, 3.0005), (LAT + 0.0008, 3.0021), (LAT, 3.0028)])
    assert caught.value.legs == [(1, 2)]
