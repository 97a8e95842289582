"""The routing service's entrypoints: validate, call the store or pure code, publish."""

from __future__ import annotations

import uuid
from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from nameko.timer import timer
from pydantic import ValidationError

from contracts.deliveries import DeliveryFailureReport
from contracts.rounds import (
    ContainerIn,
    FillReading,
    MealRoundRequest,
    ReadingOutcome,
    ReplanRequest,
    RoundPlanned,
    WasteRoundRequest,
)
from contracts.routing import MatrixRequest, RouteRequest
from services.common import outbox
from services.common.dead_letter import event_handler
from services.common.errors import Conflict, NotFound
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
from services.routing import matrix_cache, matrix_pool, round_jobs
from services.routing.dependencies import RoadNetwork, RoadNetworkHandle
from services.routing.matrix import PARALLEL_FROM, PointError, UnreachableError
from services.routing.network import NoRoadGraph
from services.routing.store import RoundConflict, RoutingStore, failure_event

ROAD_ERRORS = (InvalidMessage, Conflict)
ROUND_ERRORS = (InvalidMessage, Conflict, NotFound)


def _planned(plan: dict[str, Any]) -> RoundPlanned:
    return RoundPlanned(
        round_id=plan["round_id"],
        kind=plan["kind"],
        date=plan["date"],
        version=plan["version"],
        vehicles=[v["vehicle_id"] for v in plan["vehicles"]],
        unserved=[u["id"] for u in plan["unserved"]],
    )


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

    # -- rounds ---------------------------------------------------------------------------------
    @rpc(expected_exceptions=ROUND_ERRORS)
    def plan_meal_round(self, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
        """Plan the day's meal rounds; publishes `round_planned`."""
        validated = _validated(MealRoundRequest, request).model_dump(mode="json")
        router, executor = self._road()
        round_id = f"meals-{validated['date']}-{uuid.uuid4().hex[:8]}"
        try:
            plan = executor.submit(
                round_jobs.plan_meals_job, router.graph.version, validated, round_id
            ).result()
        except PointError as error:
            raise InvalidMessage(str(error)) from None
        return self._keep_new_plan(tenant, plan, validated)

    @rpc(expected_exceptions=ROUND_ERRORS)
    def replan_round(self, tenant: str, round_id: str, change: dict[str, Any]) -> dict[str, Any]:
        """A new plan from where a vehicle is; done stops never move. Publishes
        `round_replanned`."""
        validated = _validated(ReplanRequest, change).model_dump(mode="json")
        found = self.store.rounds.get(tenant, round_id)
        if found is None:
            raise NotFound(f"no round {round_id}")
        plan, request = found
        if validated["vehicle_id"] not in {v["vehicle_id"] for v in plan["vehicles"]}:
            raise InvalidMessage(f"vehicle {validated['vehicle_id']} has no round in {round_id}")
        router, executor = self._road()
        try:
            if plan["kind"] == "waste":
                containers = self.store.containers.all(tenant)
                readings = {
                    c["id"]: self.store.containers.readings(tenant, c["id"]) for c in containers
                }
                job = executor.submit(
                    round_jobs.replan_waste_job,
                    router.graph.version,
                    request,
                    plan,
                    validated,
                    containers,
                    readings,
                )
            else:
                job = executor.submit(
                    round_jobs.replan_meals_job, router.graph.version, request, plan, validated
                )
            new_plan = job.result()
        except PointError as error:
            raise InvalidMessage(str(error)) from None
        if validated["added"] and plan["kind"] == "meals":
            request = {**request, "deliveries": request["deliveries"] + validated["added"]}
        event = make_message(_planned(new_plan), tenant=tenant)
        try:
            self.store.rounds.replace_plan(
                tenant, new_plan, request, plan["version"], "round_replanned", event
            )
        except RoundConflict as error:
            raise Conflict(str(error)) from None
        self._relay()
        return dict(new_plan)

    @rpc(expected_exceptions=ROUND_ERRORS)
    def get_round(self, tenant: str, round_id: str) -> dict[str, Any]:
        found = self.store.rounds.get(tenant, round_id)
        if found is None:
            raise NotFound(f"no round {round_id}")
        return found[0]

    @rpc
    def rounds_of_day(
        self, tenant: str, day: str, driver: str | None = None
    ) -> list[dict[str, Any]]:
        """The day's rounds; with `driver`, only that driver's vehicles."""
        plans = self.store.rounds.of_day(tenant, day)
        if driver is None:
            return plans
        mine = []
        for plan in plans:
            vehicles = [v for v in plan["vehicles"] if v.get("driver") == driver]
            if vehicles:
                mine.append({**plan, "vehicles": vehicles})
        return mine

    # -- waste ----------------------------------------------------------------------------------
    @rpc(expected_exceptions=ROUND_ERRORS)
    def register_containers(self, tenant: str, containers: list[dict[str, Any]]) -> dict[str, Any]:
        validated = [_validated(ContainerIn, c).model_dump(mode="json") for c in containers]
        return {"registered": self.store.containers.register(tenant, validated)}

    @rpc(expected_exceptions=ROUND_ERRORS)
    def record_reading(self, tenant: str, reading: dict[str, Any]) -> dict[str, Any]:
        """A fill-level reading; the same reading id twice is recorded once."""
        validated = _validated(FillReading, reading)
        if not self.store.containers.exists(tenant, validated.container_id):
            raise InvalidMessage(f"unknown container {validated.container_id!r}")
        recorded = self.store.containers.record(
            tenant, validated.model_dump(mode="json"), validated.at.timestamp()
        )
        return ReadingOutcome(
            reading_id=validated.reading_id, status="recorded" if recorded else "duplicate"
        ).model_dump(mode="json")

    @event_handler("sensors", "fill_level_measured")
    def handle_fill_level_measured(self, body: dict[str, Any]) -> None:
        # Sensors' bridge publishes readings as events; a bad one is dead-lettered with why.
        envelope, reading = open_message(body, FillReading)
        self.record_reading(envelope.tenant, reading.model_dump(mode="json"))

    @rpc(expected_exceptions=ROUND_ERRORS)
    def plan_waste_round(self, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
        """Forecast every container of the stream, plan the trucks' trips; `round_planned`."""
        validated = _validated(WasteRoundRequest, request).model_dump(mode="json")
        containers = [
            c for c in self.store.containers.all(tenant) if c["stream"] == validated["stream"]
        ]
        if not containers:
            raise InvalidMessage(f"no {validated['stream']} container is registered")
        readings = {c["id"]: self.store.containers.readings(tenant, c["id"]) for c in containers}
        router, executor = self._road()
        round_id = f"waste-{validated['date']}-{uuid.uuid4().hex[:8]}"
        try:
            plan = executor.submit(
                round_jobs.plan_waste_job,
                router.graph.version,
                validated,
                containers,
                readings,
                round_id,
            ).result()
        except PointError as error:
            raise InvalidMessage(str(error)) from None
        return self._keep_new_plan(tenant, plan, validated)

    def _keep_new_plan(
        self, tenant: str, plan: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        """Store the plan with its `round_planned` event (one transaction), then relay it."""
        event = make_message(_planned(plan), tenant=tenant)
        self.store.rounds.save_new(tenant, plan, request, "round_planned", event)
        self._relay()
        return dict(plan)

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
        outbox.relay(self.store.client, self.store.outbox_prefix, self.dispatch)


def _validated(model: type[ModelT], raw: Any) -> ModelT:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidMessage(describe_validation_error(error)) from None
