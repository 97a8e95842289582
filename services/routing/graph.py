"""Building the drivable road graph from OpenStreetMap with osmnx (the build side only).

This is the one module that imports osmnx; it is imported lazily by the ``bocage graph`` command.
The routing service never imports it: it loads the artefact with ``artefact.load_graph``.

Sources: an OSM XML file, or a download (place name or GeoJSON polygon) when internet is there.
Every failure a user can cause is a ``GraphBuildError`` with a message, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from services.routing import speeds
from services.routing.artefact import FORMAT_VERSION, RoadGraph, artefact_name, save_graph
from services.routing.chains import contract

# Bump when the build rules change (filtering, rounding): the artefact version depends on it.
BUILD_VERSION = "build-2"  # build-2: road names
OVERPASS_HOST = "overpass-api.de"

# Ways a van may not use even though their highway class is drivable.
_NO_ACCESS = {"no", "private"}
_EXCLUDED_SERVICE = {"parking_aisle", "driveway", "private", "emergency_access", "drive-through"}

Progress = Callable[[str], None]


class GraphBuildError(Exception):
    """The graph cannot be built from this source; the message says why and what to do."""


def stderr_progress() -> Progress:
    """Progress lines on stderr with the elapsed time, for long builds."""
    start = time.monotonic()

    def report(message: str) -> None:
        print(f"[{time.monotonic() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    return report


def _quiet(_: str) -> None:
    return None


def build_from_osm_file(
    path: str | Path, *, simplify: bool = True, progress: Progress = _quiet
) -> RoadGraph:
    """The drivable graph of an OSM XML file (.osm), with travel times from the speed profile."""
    path = Path(path)
    _check_osm_file(path)
    progress(f"reading {path} ({path.stat().st_size / 1e6:.1f} MB)")
    ox = _osmnx()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except ox._errors.InsufficientResponseError as error:
        raise GraphBuildError(f"{path} holds no OSM nodes or ways: nothing to build") from error
    except Exception as error:  # osmnx and its XML parser raise many kinds; all mean "bad file"
        raise GraphBuildError(f"{path} could not be read as OSM XML: {error}") from error
    source = {"kind": "osm_file", "name": path.name, "sha256": _file_sha256(path)}
    return _finish(raw, source, simplify, progress)


def build_from_place(name: str, *, simplify: bool = True, progress: Progress = _quiet) -> RoadGraph:
    """Download the drivable graph of a territory by name (needs internet access)."""
    _require_internet()
    ox = _osmnx()
    progress(f"downloading the roads of {name!r} from OpenStreetMap")
    try:
        raw = ox.graph_from_place(name, network_type="drive", simplify=False, retain_all=True)
    except Exception as error:
        raise GraphBuildError(f"could not download the roads of {name!r}: {error}") from error
    return _finish(raw, {"kind": "place", "name": name}, simplify, progress)


def build_from_polygon(
    path: str | Path, *, simplify: bool = True, progress: Progress = _quiet
) -> RoadGraph:
    """Download the drivable graph inside a GeoJSON polygon (needs internet access)."""
    polygon = _read_polygon(Path(path))
    _require_internet()
    ox = _osmnx()
    progress(f"downloading the roads inside {path} from OpenStreetMap")
    try:
        raw = ox.graph_from_polygon(polygon, network_type="drive", simplify=False, retain_all=True)
    except Exception as error:
        raise GraphBuildError(f"could not download the roads inside {path}: {error}") from error
    source = {"kind": "polygon", "name": Path(path).name, "wkt": polygon.wkt}
    return _finish(raw, source, simplify, progress)


def write_artefact(graph: RoadGraph, out_dir: str | Path, stem: str) -> Path:
    """Save under ``out_dir`` as ``<stem>-<version>.npz``; an existing same version is reused."""
    target = Path(out_dir) / artefact_name(stem, graph.version)
    if not target.exists():
        save_graph(graph, target)
    return target


def _osmnx() -> Any:
    import osmnx as ox

    # motor_vehicle/motorcar say whether a van may use a way; osmnx drops them by default.
    extra = ["motor_vehicle", "motorcar"]
    ox.settings.useful_tags_way = sorted(set(ox.settings.useful_tags_way) | set(extra))
    ox.settings.requests_timeout = 30
    return ox


def _check_osm_file(path: Path) -> None:
    if not path.is_file():
        raise GraphBuildError(f"{path} does not exist or is not a file")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as error:
        raise GraphBuildError(f"{path} cannot be read: {error.strerror}") from error
    if not head.strip():
        raise GraphBuildError(f"{path} is empty: expected an OSM XML file (.osm)")
    if b"<osm" not in head:
        raise GraphBuildError(
            f"{path} is not OSM XML (no <osm> element at its start); "
            "convert .pbf extracts first, e.g. `osmium cat FILE.pbf -o FILE.osm`"
        )


def _require_internet() -> None:
    try:
        socket.create_connection((OVERPASS_HOST, 443), timeout=5).close()
    except OSError as error:
        raise GraphBuildError(
            f"cannot reach {OVERPASS_HOST} ({error}): this machine has no internet access, so "
            "nothing can be downloaded; build from an OSM XML file with --osm FILE instead"
        ) from error


def _read_polygon(path: Path) -> Any:
    from shapely.geometry import shape

    try:
        data = json.loads(path.read_text())
        if data.get("type") == "FeatureCollection":
            data = data["features"][0]
        geometry = shape(data["geometry"] if data.get("type") == "Feature" else data)
    except FileNotFoundError as error:
        raise GraphBuildError(f"{path} does not exist") from error
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise GraphBuildError(f"{path} is not a GeoJSON polygon: {error}") from error
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        raise GraphBuildError(f"{path} holds a {geometry.geom_type}, expected a Polygon")
    return geometry


def _finish(
    raw: nx.MultiDiGraph, source: dict[str, Any], simplify: bool, progress: Progress
) -> RoadGraph:
    progress(f"{len(raw)} nodes, {raw.number_of_edges()} edges read; keeping drivable roads")
    drivable = _drivable(raw)
    if drivable.number_of_edges() == 0:
        raise GraphBuildError(
            f"{source['name']} holds no drivable road (no highway=* way a van may use)"
        )
    largest = max(nx.weakly_connected_components(drivable), key=len)
    drivable = drivable.subgraph(largest).copy()
    if simplify:
        progress(f"simplifying {len(drivable)} nodes")
        drivable = _osmnx().simplify_graph(drivable)
    progress(f"computing travel times for {drivable.number_of_edges()} edges")
    graph = _to_arrays(drivable, source, simplify)
    progress(
        f"graph {graph.version}: {graph.n_nodes} nodes, {graph.n_edges} edges, "
        f"{len(graph.chains.junction_node)} junctions"
    )
    return graph


def _drivable(raw: nx.MultiDiGraph) -> nx.MultiDiGraph:
    keep = [(u, v, k) for u, v, k, data in raw.edges(keys=True, data=True) if _van_may_use(data)]
    graph = raw.edge_subgraph(keep).copy()
    graph.remove_nodes_from([n for n in list(graph) if graph.degree(n) == 0])
    return graph


def _van_may_use(data: dict[str, Any]) -> bool:
    classes = data.get("highway")
    classes = [classes] if isinstance(classes, str) else list(classes or [])
    if not classes or not all(speeds.is_drivable_class(c) for c in classes):
        return False
    if str(data.get("area", "no")) == "yes" or _tag_in(data.get("service"), _EXCLUDED_SERVICE):
        return False
    if _tag_in(data.get("motor_vehicle"), _NO_ACCESS) or _tag_in(data.get("motorcar"), _NO_ACCESS):
        return False
    allowed_anyway = _tag_in(data.get("motor_vehicle"), {"yes", "destination"})
    return allowed_anyway or not _tag_in(data.get("access"), _NO_ACCESS)


def _tag_in(value: Any, values: set[str]) -> bool:
    tags = [value] if isinstance(value, str) else list(value or [])
    return any(str(tag) in values for tag in tags)


def _to_arrays(graph: nx.MultiDiGraph, source: dict[str, Any], simplify: bool) -> RoadGraph:
    osmids = np.array(sorted(graph.nodes), dtype=np.int64)
    index = {int(n): i for i, n in enumerate(osmids)}
    node_lat = np.array([graph.nodes[int(n)]["y"] for n in osmids], dtype=np.float64)
    node_lon = np.array([graph.nodes[int(n)]["x"] for n in osmids], dtype=np.float64)
    edges = sorted(
        graph.edges(keys=True, data=True), key=lambda e: (index[e[0]], index[e[1]], e[2])
    )
    tail = np.array([index[u] for u, _, _, _ in edges], dtype=np.int64)
    head = np.array([index[v] for _, v, _, _ in edges], dtype=np.int64)
    length_m = np.array([float(d["length"]) for *_, d in edges])
    kph = np.array([speeds.speed_kph(d["highway"], d.get("maxspeed")) for *_, d in edges])
    duration_ms = np.rint(length_m / (kph / 3.6) * 1000).astype(np.int64)
    length_dm = np.rint(length_m * 10).astype(np.int64)
    geom_lat: list[float] = []
    geom_lon: list[float] = []
    geom_ptr = [0]
    for u, v, _, data in edges:
        if "geometry" in data:
            lons, lats = data["geometry"].xy
        else:
            lons = [graph.nodes[u]["x"], graph.nodes[v]["x"]]
            lats = [graph.nodes[u]["y"], graph.nodes[v]["y"]]
        geom_lon.extend(lons)
        geom_lat.extend(lats)
        geom_ptr.append(len(geom_lat))
    edge_ptr = np.searchsorted(tail, np.arange(len(osmids) + 1)).astype(np.int64)
    road_names, edge_name = _road_names([d for *_, d in edges])
    chains = contract(len(osmids), tail, head, duration_ms, length_dm)
    digest = hashlib.sha256(
        json.dumps(
            [source, simplify, speeds.profile_fingerprint(), BUILD_VERSION, FORMAT_VERSION],
            sort_keys=True,
        ).encode()
    )
    if source["kind"] != "osm_file":  # downloaded data changes over time: hash what came
        digest.update(osmids.tobytes() + tail.tobytes() + head.tobytes() + duration_ms.tobytes())
    version = digest.hexdigest()[:16]
    meta = {
        "version": version,
        "source": source,
        "simplified": simplify,
        "profile": speeds.PROFILE_VERSION,
        "build": BUILD_VERSION,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "nodes": len(osmids),
        "edges": len(tail),
        "junctions": len(chains.junction_node),
        "chains": len(chains.chain_tail),
        "bbox": [
            float(node_lon.min()),
            float(node_lat.min()),
            float(node_lon.max()),
            float(node_lat.max()),
        ],
    }
    return RoadGraph(
        version=version,
        meta=meta,
        node_lat=node_lat,
        node_lon=node_lon,
        node_osmid=osmids,
        edge_ptr=edge_ptr,
        edge_tail=tail,
        edge_head=head,
        edge_duration_ms=duration_ms,
        edge_length_dm=length_dm,
        geom_ptr=np.array(geom_ptr, dtype=np.int64),
        geom_lat=np.array(geom_lat, dtype=np.float64),
        geom_lon=np.array(geom_lon, dtype=np.float64),
        chains=chains,
        edge_name=edge_name,
        road_names=road_names,
    )


def _road_names(edges: list[dict[str, Any]]) -> tuple[tuple[str, ...], npt.NDArray[np.int64]]:
    """Distinct road names (OSM `name`, else `ref`) and each edge's index among them (-1: none).

    A simplified edge that merges several ways carries a list: its first name stands for it."""
    names: dict[str, int] = {}
    index = np.full(len(edges), -1, dtype=np.int64)
    for i, data in enumerate(edges):
        for tag in ("name", "ref"):
            value = data.get(tag)
            if isinstance(value, list):
                value = next((v for v in value if v), None)
            if value:
                index[i] = names.setdefault(str(value), len(names))
                break
    return tuple(names), index


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
