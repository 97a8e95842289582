"""Road graphs built from the real Kempen OSM extracts: artefact, matrices, routes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest

from infra import cli
from services.routing import matrix_pool, reference
from services.routing.artefact import RoadGraph, load_graph
from services.routing.matrix import PointError, Router

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def kempen_artefacts(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Both Kempen graphs, built once per session through the real command."""
    from services.routing import graph as builder

    out = tmp_path_factory.mktemp("graphs")
    osm = shared_data / "osm"
    drive = builder.build_from_osm_file(osm / "flanders-kempen-2013_drive.osm")
    highways = builder.build_from_osm_file(
        osm / "flanders-kempen-2013_highways.osm", simplify=False
    )
    return {
        "drive": builder.write_artefact(drive, out, "kempen-drive"),
        "highways": builder.write_artefact(highways, out, "kempen-highways"),
    }


@pytest.fixture(scope="session", params=["drive", "highways"])
def kempen(request: pytest.FixtureRequest, kempen_artefacts: dict[str, Path]) -> RoadGraph:
    return load_graph(kempen_artefacts[request.param])


def addresses(graph: RoadGraph, n: int, seed: int) -> np.ndarray:
    """Points a few tens of metres off random roads, as geocoded addresses are."""
    rng = np.random.default_rng(seed)
    nodes = rng.integers(0, graph.n_nodes, n)
    return np.column_stack(
        [
            graph.node_lat[nodes] + rng.normal(0, 2e-4, n),
            graph.node_lon[nodes] + rng.normal(0, 3e-4, n),
        ]
    )


def test_the_artefact_describes_the_graph_and_loads_without_osmnx(
    kempen_artefacts: dict[str, Path],
) -> None:
    code = (
        "import sys; from services.routing.artefact import load_graph; "
        "from services.routing.matrix import Router; "
        f"g = load_graph({str(kempen_artefacts['highways'])!r}); Router(g); "
        "print(g.n_nodes, 'osmnx' in sys.modules, 'networkx' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    nodes, osmnx_loaded, networkx_loaded = done.stdout.split()
    assert int(nodes) > 10_000
    assert osmnx_loaded == "False" and networkx_loaded == "False"


def test_the_version_changes_with_the_source_not_with_the_run(
    kempen_artefacts: dict[str, Path],
) -> None:
    drive = load_graph(kempen_artefacts["drive"])
    highways = load_graph(kempen_artefacts["highways"])
    assert drive.version != highways.version
    assert kempen_artefacts["drive"].name == f"kempen-drive-{drive.version}.npz"
    assert drive.meta["source"]["sha256"]
    assert drive.chains.junction_node.size < drive.n_nodes


# With the junction table (the territory is small enough) and without (a larger one).
@pytest.mark.parametrize("table_bytes", [256 * 2**20, 0], ids=["junction_table", "per_ask"])
def test_the_matrix_equals_networkx_on_50_addresses(kempen: RoadGraph, table_bytes: int) -> None:
    router = Router(kempen, junction_table_max_bytes=table_bytes)
    assert (router.junction_table() is not None) == (table_bytes > 0)
    points = addresses(kempen, 50, seed=7)
    matrix = router.travel_matrix(points)
    snap = router.snapper.snap(points[:, 0], points[:, 1], router.max_snap_m)
    expected = reference.durations(
        reference.with_points(reference.networkx_graph(kempen), kempen, snap), len(points)
    )
    assert np.array_equal(np.isfinite(expected), np.isfinite(matrix.durations_s))
    finite = np.isfinite(expected)
    assert np.abs(expected[finite] - matrix.durations_s[finite]).max() <= 1e-6
    assert set(matrix.unreachable) == {(int(i), int(j)) for i, j in np.argwhere(~finite)}
    assert np.all(matrix.distances_m[finite] >= 0)
    assert np.all(matrix.snap_distance_m < router.max_snap_m)


def test_a_far_away_point_and_a_nan_are_refused_by_index(kempen: RoadGraph) -> None:
    router = Router(kempen, max_snap_m=300)
    points = addresses(kempen, 3, seed=1).tolist()
    paris = [48.8566, 2.3522]
    with pytest.raises(PointError) as caught:
        router.travel_matrix([*points, paris])
    (problem,) = caught.value.problems
    assert problem["index"] == 3 and problem["distance_m"] > 100_000
    assert "from the nearest road (at most 300 m allowed)" in str(caught.value)
    with pytest.raises(PointError, match=r"point 1: \(nan, 4.7\) is not a number"):
        router.travel_matrix([points[0], [float("nan"), 4.7]])


def test_the_route_is_valid_geojson_and_agrees_with_the_matrix(kempen: RoadGraph) -> None:
    router = Router(kempen)
    points = addresses(kempen, 6, seed=3)
    matrix = router.travel_matrix(points)
    pairs = [
        (i, j)
        for i in range(6)
        for j in range(6)
        if i != j and np.isfinite(matrix.durations_s[i, j])
    ]
    i, j = pairs[0]
    feature = json.loads(json.dumps(router.route([points[i], points[j]])))
    coords = feature["geometry"]["coordinates"]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "LineString"
    assert len(coords) >= 2 and all(len(c) == 2 for c in coords)
    west, south, east, north = kempen.meta["bbox"]
    assert all(
        west - 0.01 <= x <= east + 0.01 and south - 0.01 <= y <= north + 0.01 for x, y in coords
    )
    assert feature["properties"]["duration_s"] == pytest.approx(matrix.durations_s[i, j], abs=1e-3)
    assert feature["properties"]["distance_m"] == pytest.approx(matrix.distances_m[i, j], abs=0.2)
    # The drawn line is about as long as the distance driven (planar vs great-circle lengths).
    lon, lat = np.array(coords).T
    drawn = np.sum(
        np.hypot(np.diff(lon) * 111_320 * np.cos(np.radians(lat[:-1])), np.diff(lat) * 110_574)
    )
    assert drawn == pytest.approx(matrix.distances_m[i, j], rel=0.02, abs=5)


def test_the_cache_gives_back_the_matrix_from_redis(kempen: RoadGraph, redis_url: str) -> None:
    import redis

    from services.routing import matrix_cache

    router = Router(kempen)
    points = addresses(kempen, 30, seed=5)
    matrix = router.travel_matrix(points)
    client = redis.Redis.from_url(redis_url)
    key = matrix_cache.points_hash(points, router.max_snap_m)
    assert matrix_cache.get_matrix(client, kempen.version, key) is None
    stored = matrix_cache.put_matrix(client, key, matrix, ttl_s=60)
    try:
        cached = matrix_cache.get_matrix(client, kempen.version, key)
        assert cached is not None
        assert cached.to_json() == matrix.to_json()
        assert matrix_cache.get_matrix(client, "another-version", key) is None
    finally:
        client.delete(stored)
        client.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"garbage, not XML", "is not OSM XML"),
        (b"<?xml version='1.0'?><osm version='0.6'></osm>", "holds no OSM nodes or ways"),
        (b"<?xml version='1.0'?><osm version='0.6'><node id='1' lat='1' lo", "could not be read"),
    ],
)
def test_the_build_command_explains_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_bytes(content)
    assert cli.main(["graph", "build", "--osm", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.npz"))


def test_the_build_command_writes_and_describes_an_artefact(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    osm = shared_data / "osm" / "flanders-kempen-2013_drive.osm"
    assert cli.main(["graph", "build", "--osm", str(osm), "--out", str(tmp_path)]) == 0
    built = json.loads(capsys.readouterr().out)
    assert Path(built["artefact"]).is_file() and built["nodes"] > 1000
    assert cli.main(["graph", "info", built["artefact"]]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == built["version"]


def test_a_download_without_internet_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.routing import graph as builder

    # An unresolvable host stands for "no internet", whatever this machine has.
    monkeypatch.setattr(builder, "OVERPASS_HOST", "overpass.invalid")
    code = cli.main(["graph", "build", "--place", "Bailleul, France", "--out", str(tmp_path)])
    assert code == 2
    assert "no internet access" in capsys.readouterr().err


@pytest.mark.parametrize("table_bytes", [256 * 2**20, 0], ids=["junction_table", "rows_split"])
def test_the_matrix_served_through_the_pool_is_the_one_computed_here(
    kempen_artefacts: dict[str, Path], table_bytes: int
) -> None:
    """What the service answers (off its process: one worker with a junction table, rows split
    over two without) is exactly the matrix computed in one process."""
    path = kempen_artefacts["drive"]
    router = Router(load_graph(path), junction_table_max_bytes=table_bytes)
    points = addresses(router.graph, matrix_pool.PARALLEL_FROM + 20, seed=11)
    pool = ProcessPoolExecutor(
        2,
        mp_context=get_context("spawn"),
        initializer=matrix_pool.init_worker,
        initargs=(str(path), router.max_snap_m),
    )
    try:
        served = matrix_pool.travel_matrix(router, points.tolist(), pool)
    finally:
        pool.shutdown()
    here = router.travel_matrix(points)
    np.testing.assert_array_equal(served.durations_s, here.durations_s)
    np.testing.assert_array_equal(served.distances_m, here.distances_m)
    assert served.unreachable == here.unreachable
