"""nameko glue for routing: the road graph, its process pool, and a bytes Redis client for the
matrix cache. Matrices and routes are computed in spawned workers that hold the graph."""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from nameko.extensions import DependencyProvider

from services.common.process_pool import spawn_pool, terminate_pool
from services.common.settings import load_settings
from services.routing import matrix_pool
from services.routing.artefact import load_graph
from services.routing.matrix import DEFAULT_MAX_SNAP_M, Router
from services.routing.matrix_cache import MatrixCache
from services.routing.network import NoRoadGraph, find_artefact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoadNetworkHandle:
    router: Router | None
    executor: ProcessPoolExecutor | None
    cache: MatrixCache
    missing: str | None  # why there is no graph, to tell the caller

    def require(self) -> tuple[Router, ProcessPoolExecutor]:
        if self.router is None or self.executor is None:
            raise NoRoadGraph(self.missing or "no road graph loaded")
        return self.router, self.executor


class RoadNetwork(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        config = self.container.config
        settings = load_settings(config)
        self.redis = redis.Redis.from_url(settings.redis_url, socket_timeout=10)
        self.cache = MatrixCache(self.redis)
        self.router: Router | None = None
        self.executor: ProcessPoolExecutor | None = None
        self.missing: str | None = None
        max_snap_m = float(config.get("ROUTING_MAX_SNAP_M") or DEFAULT_MAX_SNAP_M)
        try:
            artefact: Path = find_artefact(config.get("ROUTING_GRAPH"))
        except NoRoadGraph as error:
            self.missing = str(error)
            log.warning("%s", error)
            return
        self.router = Router(load_graph(artefact), max_snap_m=max_snap_m)
        # Two workers: a 1000-point matrix splits its rows over both cores.
        self.executor = spawn_pool(
            max(2, settings.process_pool_workers),
            initializer=matrix_pool.init_worker,
            initargs=(str(artefact), max_snap_m),
        )
        log.info("road graph %s loaded from %s", self.router.graph.version, artefact)

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
        self.redis.close()

    def kill(self) -> None:
        if self.executor is not None:
            terminate_pool(self.executor)

    def get_dependency(self, worker_ctx: Any) -> RoadNetworkHandle:
        return RoadNetworkHandle(self.router, self.executor, self.cache, self.missing)
