"""Contraction of a road graph over its degree-2 chains.

Pure numpy and Python. Most nodes of an OSM road graph only carry the shape of a street: one road
in, one road out. Dijkstra only needs the junctions (dead ends, crossings, places where one-way
rules change); the chains of edges between two junctions become single edges, about five times
fewer nodes on the unsimplified Kempen graph. Each original edge keeps where it lies on its chain,
so a point snapped onto an edge can be placed on the contracted graph exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Chains:
    junction_node: IntArray  # (J,) node index of each junction
    chain_tail: IntArray  # (C,) junction index where the chain starts
    chain_head: IntArray  # (C,) junction index where it ends
    chain_duration_ms: IntArray  # (C,)
    chain_length_dm: IntArray  # (C,)
    chain_edge_ptr: IntArray  # (C+1,) chain c is chain_edges[ptr[c]:ptr[c+1]], in driving order
    chain_edges: IntArray  # original edge ids
    edge_chain: IntArray  # (E,) the chain of each original edge
    edge_offset_ms: IntArray  # (E,) duration from the chain's start to the edge's tail
    edge_offset_dm: IntArray  # (E,) length from the chain's start to the edge's tail


def contract(
    n_nodes: int,
    edge_tail: IntArray,
    edge_head: IntArray,
    duration_ms: IntArray,
    length_dm: IntArray,
) -> Chains:
    """Group the directed edges into chains running from junction to junction."""
    n_edges = len(edge_tail)
    out_edges: list[list[int]] = [[] for _ in range(n_nodes)]
    in_edges: list[list[int]] = [[] for _ in range(n_nodes)]
    for e in range(n_edges):
        out_edges[int(edge_tail[e])].append(e)
        in_edges[int(edge_head[e])].append(e)

    is_junction = np.array(
        [
            not _passes_through(x, out_edges[x], in_edges[x], edge_tail, edge_head)
            for x in range(n_nodes)
        ],
        dtype=bool,
    )
    edge_chain = np.full(n_edges, -1, dtype=np.int64)
    edge_offset_ms = np.zeros(n_edges, dtype=np.int64)
    edge_offset_dm = np.zeros(n_edges, dtype=np.int64)
    chains: list[list[int]] = []

    def trace(first: int) -> None:
        edges = [first]
        while not is_junction[edge_head[edges[-1]]]:
            node, came_from = int(edge_head[edges[-1]]), int(edge_tail[edges[-1]])
            ahead = [e for e in out_edges[node] if edge_head[e] != came_from]
            edges.append(ahead[0])  # a pass-through node has exactly one way ahead
        ms = dm = 0
        for e in edges:
            edge_chain[e] = len(chains)
            edge_offset_ms[e], edge_offset_dm[e] = ms, dm
            ms += int(duration_ms[e])
            dm += int(length_dm[e])
        chains.append(edges)

    for x in np.flatnonzero(is_junction):
        for e in out_edges[int(x)]:
            if edge_chain[e] < 0:
                trace(e)
    # Closed loops without any junction (an isolated ring road): promote one node.
    for e in range(n_edges):
        if edge_chain[e] < 0:
            is_junction[edge_tail[e]] = True
            for e2 in out_edges[int(edge_tail[e])]:
                if edge_chain[e2] < 0:
                    trace(e2)

    junction_node = np.flatnonzero(is_junction).astype(np.int64)
    junction_of_node = np.full(n_nodes, -1, dtype=np.int64)
    junction_of_node[junction_node] = np.arange(len(junction_node))
    firsts = np.array([c[0] for c in chains], dtype=np.int64)
    lasts = np.array([c[-1] for c in chains], dtype=np.int64)
    ptr = np.zeros(len(chains) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(c) for c in chains])
    flat = np.array([e for c in chains for e in c], dtype=np.int64)
    return Chains(
        junction_node=junction_node,
        chain_tail=junction_of_node[edge_tail[firsts]],
        chain_head=junction_of_node[edge_head[lasts]],
        chain_duration_ms=edge_offset_ms[lasts] + duration_ms[lasts],
        chain_length_dm=edge_offset_dm[lasts] + length_dm[lasts],
        chain_edge_ptr=ptr,
        chain_edges=flat,
        edge_chain=edge_chain,
        edge_offset_ms=edge_offset_ms,
        edge_offset_dm=edge_offset_dm,
    )


def _passes_through(
    node: int, outs: list[int], ins: list[int], edge_tail: IntArray, edge_head: IntArray
) -> bool:
    """True for a shape node: one road in and out, same rule both ways, no parallel edges."""
    heads = [int(edge_head[e]) for e in outs]
    tails = [int(edge_tail[e]) for e in ins]
    if node in heads or len(set(heads)) != len(heads) or len(set(tails)) != len(tails):
        return False
    if len(outs) == 1 and len(ins) == 1:  # one-way street going on
        return heads[0] != tails[0]
    if len(outs) == 2 and len(ins) == 2:  # two-way street going on
        return set(heads) == set(tails)
    return False
