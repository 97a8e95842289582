"""Matrix rows computed in worker processes: scipy's Dijkstra holds the GIL, threads do not help.

The pool's owner (the routing service's process-pool provider, or the benchmark) creates it once:

    ProcessPoolExecutor(2, mp_context=get_context("spawn"),
                        initializer=init_worker, initargs=(artefact_path, max_snap_m))

and asks through ``travel_matrix(router, points, pool)``. Each worker loads the artefact once (a
few milliseconds), prepares its junction table, and keeps its Router for the life of the process.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Executor
from typing import Any

import numpy as np
import numpy.typing as npt

from services.routing.artefact import load_graph
from services.routing.matrix import DEFAULT_MAX_SNAP_M, Router, TravelMatrix, as_lat_lon

FloatArray = npt.NDArray[np.float64]

_router: Router | None = None  # one per worker process, set by init_worker
# Without a junction table (a large graph), rows are split over the workers from this many points.
PARALLEL_FROM = 300


def travel_matrix(router: Router, points: list[list[float]], executor: Executor) -> TravelMatrix:
    """The matrix computed off the caller's process, which stays free (the service's eventlet hub
    would stop while numpy holds the GIL). With a junction table a matrix is a gather, cheaper
    in one worker than shipped in parts (bench/matrix.py); without one, from PARALLEL_FROM points,
    snapping is done here and the rows are split over the workers."""
    workers = int(getattr(executor, "_max_workers", 1))
    if router.uses_junction_table or len(points) < PARALLEL_FROM or workers < 2:
        return executor.submit(matrix_job, router.graph.version, points).result()
    lat, lon = as_lat_lon(points)
    snap = router.snapper.snap(lat, lon, router.max_snap_m)  # bad points fail here, at once
    bounds = np.linspace(0, len(lat), workers + 1).astype(int)
    futures = [
        executor.submit(rows_job, router.graph.version, lat, lon, int(a), int(b))
        for a, b in itertools.pairwise(bounds)
    ]
    parts = [future.result() for future in futures]
    return router.assemble(
        snap, np.vstack([part[0] for part in parts]), np.vstack([part[1] for part in parts])
    )


def init_worker(artefact_path: str, max_snap_m: float = DEFAULT_MAX_SNAP_M) -> None:
    global _router
    _router = Router(load_graph(artefact_path), max_snap_m=max_snap_m)
    _router.junction_table()


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
