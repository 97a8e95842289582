"""Matrix rows computed in worker processes: scipy's Dijkstra holds the GIL, threads do not help.

The pool's owner (the routing service's process-pool provider, or the benchmark) creates it once:

    ProcessPoolExecutor(2, mp_context=get_context("spawn"),
                        initializer=init_worker, initargs=(artefact_path, max_snap_m))

and passes it to ``Router.travel_matrix(points, executor=pool)``. Each worker loads the artefact
once (a few milliseconds) and keeps its Router for the life of the process.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from services.routing.artefact import load_graph
from services.routing.matrix import DEFAULT_MAX_SNAP_M, Router, TravelMatrix

FloatArray = npt.NDArray[np.float64]

_router: Router | None = None  # one per worker process, set by init_worker


def init_worker(artefact_path: str, max_snap_m: float = DEFAULT_MAX_SNAP_M) -> None:
    global _router
    _router = Router(load_graph(artefact_path), max_snap_m=max_snap_m)


def rows_job(
    version: str, lat: FloatArray, lon: FloatArray, start: int, stop: int
) -> tuple[FloatArray, FloatArray]:
    """Rows start:stop of the matrix (ms, dm), on the worker's graph."""
    if _router is None:
        raise RuntimeError("matrix worker not initialised: create the pool with init_worker")
    if _router.graph.version != version:
        raise RuntimeError(
            f"matrix worker holds graph {_router.graph.version}, the request is for {version}"
        )
    snap = _router.snapper.snap(lat, lon, _router.max_snap_m)
    return _router.matrix_rows(snap, start, stop)


def matrix_job(version: str, points: list[list[float]]) -> TravelMatrix:
    """A whole (small) matrix, computed in the worker so the service's process stays free."""
    router = worker_router(version)
    return router.travel_matrix(points)


def route_job(version: str, points: list[list[float]]) -> dict[str, Any]:
    return worker_router(version).route(points)


def worker_router(version: str) -> Router:
    """This worker's router, checked to hold the graph the request was made for."""
    if _router is None:
        raise RuntimeError("matrix worker not initialised: create the pool with init_worker")
    if _router.graph.version != version:
        raise RuntimeError(
            f"matrix worker holds graph {_router.graph.version}, the request is for {version}"
        )
    return _router
