"""The road graph artefact: compact numpy arrays in one ``.npz`` file, versioned.

Pure of osmnx and networkx: the routing service loads this in a few milliseconds with
``load_graph(path)``. Building it is ``graph.py``'s job. No pickle anywhere: every array is
numeric, and the metadata is a JSON string.

Arrays (n nodes, E directed edges, J junctions, C chains):

- ``node_lat``, ``node_lon`` (n, float64), ``node_osmid`` (n, int64)
- ``edge_tail``, ``edge_head`` (E, int64 node indexes), sorted by tail so that
  ``edge_ptr`` (n+1) is the CSR adjacency: node i's edges are ``edge_ptr[i]:edge_ptr[i+1]``
- ``edge_duration_ms``, ``edge_length_dm`` (E, int64): integer milliseconds and decimetres, so
  that sums along a path are exact
- ``geom_ptr`` (E+1), ``geom_lat``, ``geom_lon``: each edge's polyline, both ends included
- the degree-2 chain contraction of ``chains.Chains`` (same field names)
- ``meta``: JSON with ``version``, ``source``, ``simplified``, counts and build time.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from services.routing.chains import Chains

# Bump when the arrays or their meaning change: old artefacts are then rebuilt, not misread.
FORMAT_VERSION = "bocage-graph-1"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class ArtefactError(Exception):
    """A graph artefact is missing, unreadable or of another format; the message says which."""


@dataclass(frozen=True)
class RoadGraph:
    version: str
    meta: dict[str, Any]
    node_lat: FloatArray
    node_lon: FloatArray
    node_osmid: IntArray
    edge_ptr: IntArray
    edge_tail: IntArray
    edge_head: IntArray
    edge_duration_ms: IntArray
    edge_length_dm: IntArray
    geom_ptr: IntArray
    geom_lat: FloatArray
    geom_lon: FloatArray
    chains: Chains
    # Each edge's index in `road_names` (-1: unnamed); absent in artefacts built before names.
    edge_name: IntArray | None = None
    road_names: tuple[str, ...] = ()

    def road_name(self, edge: int) -> str:
        """The OSM name (or ref) of an edge's road; "" when it has none."""
        if self.edge_name is None or edge < 0:
            return ""
        index = int(self.edge_name[edge])
        return self.road_names[index] if index >= 0 else ""

    @property
    def n_nodes(self) -> int:
        return len(self.node_lat)

    @property
    def n_edges(self) -> int:
        return len(self.edge_tail)


_OPTIONAL = ("edge_name", "road_names")
_GRAPH_ARRAYS = [
    f.name for f in fields(RoadGraph) if f.name not in ("version", "meta", "chains", *_OPTIONAL)
]
_CHAIN_ARRAYS = [f.name for f in fields(Chains)]


def artefact_name(stem: str, version: str) -> str:
    return f"{stem}-{version}.npz"


def save_graph(graph: RoadGraph, path: Path) -> Path:
    """Write the artefact atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {name: getattr(graph, name) for name in _GRAPH_ARRAYS}
    arrays.update({name: getattr(graph.chains, name) for name in _CHAIN_ARRAYS})
    meta = dict(graph.meta, version=graph.version, format=FORMAT_VERSION)
    if graph.edge_name is not None:
        arrays["edge_name"] = graph.edge_name
        meta["road_names"] = list(graph.road_names)
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        np.savez(handle, **arrays)
    partial.replace(path)
    return path


def load_graph(path: str | Path) -> RoadGraph:
    """Load an artefact written by ``save_graph``; raise ArtefactError with the reason if not."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT_VERSION:
                raise ArtefactError(
                    f"{path} has format {meta.get('format')!r}, expected {FORMAT_VERSION!r}: "
                    "rebuild it with `bocage graph build`"
                )
            arrays = {name: data[name] for name in _GRAPH_ARRAYS}
            chains = Chains(**{name: data[name] for name in _CHAIN_ARRAYS})
            edge_name = data["edge_name"] if "edge_name" in data.files else None
    except FileNotFoundError as error:
        raise ArtefactError(f"no graph artefact at {path}") from error
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ArtefactError(
            f"{path} is not a Bocage graph artefact (an .npz written by `bocage graph build`)"
        ) from error
    names = tuple(str(name) for name in meta.pop("road_names", []))
    return RoadGraph(
        version=str(meta["version"]),
        meta=meta,
        chains=chains,
        edge_name=edge_name,
        road_names=names,
        **arrays,
    )
