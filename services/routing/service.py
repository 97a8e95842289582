"""The routing service's entrypoints: validate, call the store or pure code, publish."""

from __future__ import annotations

from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from nameko.timer import timer
from pydantic import ValidationError

from contracts.deliveries import DeliveryFailureReport
from contracts.routing import MatrixRequest, RouteRequest
from services.common import outbox
from services.common.errors import Conflict
from services.common.events import (
    InvalidMessage,
    ModelT,
    describe_validation_error,
    make_message,
    open_message,
)
from services.common.ping import ping_answer
from services.common.redis_store import RedisStore
from services.common.uptime import Uptime
from services.routing import matrix_cache, matrix_pool
from services.routing.dependencies import RoadNetwork, RoadNetworkHandle
from services.routing.matrix import PARALLEL_FROM, PointError, UnreachableError
from services.routing.network import NoRoadGraph
from services.routing.store import PREFIX, RoutingStore, failure_event

ROAD_ERRORS = (InvalidMessage, Conflict)


class RoutingService:
    name = "routing"

    store: RoutingStore = RedisStore(RoutingStore)
    uptime: float = Uptime()
    dispatch = EventDispatcher()
    network: RoadNetworkHandle = RoadNetwork()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)

    @rpc(expected_exceptions=InvalidMessage)
    def report_delivery_failed(self, message: dict[str, Any]) -> dict[str, Any]:
        envelope, report = open_message(message, DeliveryFailureReport)
        event = make_message(
            failure_event(report), tenant=envelope.tenant, correlation_id=envelope.correlation_id
        )
        recorded = self.store.record_delivery_failure(envelope.tenant, report, event)
        self._relay()
        return {"delivery_id": report.delivery_id, "status": "failed", "new": recorded}

    @rpc
    def get_delivery(self, tenant: str, delivery_id: str) -> dict[str, str]:
        return self.store.delivery_status(tenant, delivery_id)

    @rpc(expected_exceptions=ROAD_ERRORS)
    def travel_matrix(self, request: dict[str, Any]) -> dict[str, Any]:
        """N×N durations and distances between points, cached per graph version."""
        points = [list(p) for p in _validated(MatrixRequest, request).points]
        router, executor = self._road()
        key = matrix_cache.points_hash(points, router.max_snap_m)
        cached = self.network.cache.get(router.graph.version, key)
        if cached is not None:
            return {**cached.to_json(), "cached": True}
        try:
            if len(points) >= PARALLEL_FROM:
                # Snapping here, rows split over the pool's workers.
                matrix = router.travel_matrix(points, executor=executor)
            else:
                matrix = executor.submit(
                    matrix_pool.matrix_job, router.graph.version, points
                ).result()
        except PointError as error:
            raise InvalidMessage(str(error)) from None
        self.network.cache.put(key, matrix)
        return {**matrix.to_json(), "cached": False}

    @rpc(expected_exceptions=ROAD_ERRORS)
    def route(self, request: dict[str, Any]) -> dict[str, Any]:
        """The road path through the points, as a GeoJSON Feature (LineString)."""
        points = [list(p) for p in _validated(RouteRequest, request).points]
        router, executor = self._road()
        try:
            return dict(
                executor.submit(matrix_pool.route_job, router.graph.version, points).result()
            )
        except PointError as error:
            raise InvalidMessage(str(error)) from None
        except UnreachableError as error:
            raise InvalidMessage(str(error)) from None

    def _road(self) -> Any:
        try:
            return self.network.require()
        except NoRoadGraph as error:
            raise Conflict(str(error)) from None

    @timer(interval=2)
    def relay_outbox(self) -> None:
        # Catches events left behind by a crash between the state write and the publication.
        self._relay()

    def _relay(self) -> None:
        outbox.relay(self.store.client, PREFIX, self.dispatch)


def _validated(model: type[ModelT], raw: Any) -> ModelT:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidMessage(describe_validation_error(error)) from None
