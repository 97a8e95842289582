"""The slow, obvious oracle for ``matrix.py``: networkx Dijkstra on the same weights.

Used by the tests and by ``bench/matrix.py``, never by the service. Each snapped point becomes a
node inserted into the edges it lies on (the edge is split at its fraction), and networkx runs one
Dijkstra per source on the full, uncontracted graph with the artefact's integer weights.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx
import numpy as np

from services.routing.artefact import RoadGraph
from services.routing.snapping import Snap


def networkx_graph(graph: RoadGraph) -> nx.MultiDiGraph:
    """The artefact as networkx: duration in seconds, length in metres."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    for e in range(graph.n_edges):
        g.add_edge(
            int(graph.edge_tail[e]),
            int(graph.edge_head[e]),
            duration=graph.edge_duration_ms[e] / 1000.0,
            length=graph.edge_length_dm[e] / 10.0,
        )
    return g


def with_points(base: nx.MultiDiGraph, graph: RoadGraph, snap: Snap) -> nx.MultiDiGraph:
    """A copy of ``base`` where point i is node ("p", i), spliced into every edge it lies on."""
    g = base.copy()
    on_edge: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for p, e, f in zip(snap.cand_point, snap.cand_edge, snap.cand_fraction, strict=True):
        on_edge[int(e)].append((float(f), int(p)))
    for e, stops in on_edge.items():
        dur, length = graph.edge_duration_ms[e] / 1000.0, graph.edge_length_dm[e] / 10.0
        chain: list[Any] = [int(graph.edge_tail[e])]
        fracs = [0.0]
        for f, p in sorted(stops):
            chain.append(("p", p))
            fracs.append(f)
        chain.append(int(graph.edge_head[e]))
        fracs.append(1.0)
        for a, b, fa, fb in zip(chain[:-1], chain[1:], fracs[:-1], fracs[1:], strict=True):
            if a != b:
                g.add_edge(a, b, duration=(fb - fa) * dur, length=(fb - fa) * length)
                if fa == fb:  # two points on the same spot reach each other both ways
                    g.add_edge(b, a, duration=0.0, length=0.0)
    return g


def durations(g: nx.MultiDiGraph, n_points: int, sources: list[int] | None = None) -> np.ndarray:
    """Rows of the duration matrix (s) by networkx, inf where unreachable."""
    rows = list(range(n_points)) if sources is None else sources
    out = np.full((len(rows), n_points), np.inf)
    for r, i in enumerate(rows):
        lengths = nx.single_source_dijkstra_path_length(g, ("p", i), weight="duration")
        for j in range(n_points):
            out[r, j] = lengths.get(("p", j), np.inf)
    return out
