"""The routing service's entrypoints: validate, call the store or pure code, publish."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from nameko.timer import timer
from pydantic import ValidationError

from contracts.deliveries import DeliveryFailureReport
from contracts.identity import Caller
from contracts.rounds import (
    ContainerIn,
    ContainerOut,
    ContainerPatch,
    ContainersRegistered,
    ContainerVerdict,
    FillReading,
    MealRoundRequest,
    ReadingOutcome,
    ReplanRequest,
    RoundPlanned,
    WasteRoundRequest,
)
from contracts.routing import MatrixRequest, RouteRequest, TravelTimesRequest
from services.common import outbox
from services.common.dead_letter import event_handler
from services.common.errors import Conflict, Forbidden, NotFound
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
from services.routing import day_entrypoints, matrix_cache, matrix_pool, positions_purge
from services.routing.containers import registration_verdict
from services.routing.deliveries import day_of, stop_of, vehicles_for
from services.routing.dependencies import RoadNetwork, RoadNetworkHandle
from services.routing.jobs import meal_job, waste_job
from services.routing.jobs.placement import Placement, PlacementRefused, place_job
from services.routing.matrix import PARALLEL_FROM, PointError, UnreachableError
from services.routing.network import NoRoadGraph
from services.routing.rectangle import travel_times
from services.routing.store import RoundConflict, RoutingStore, failure_event

ROAD_ERRORS = (InvalidMessage, Conflict)
ROUND_ERRORS = (InvalidMessage, Conflict, NotFound, Forbidden)
PLAN_ERRORS = (PointError, PlacementRefused)


def _planned(plan: dict[str, Any]) -> RoundPlanned:
    return RoundPlanned(
        round_id=plan["round_id"],
        kind=plan["kind"],
        date=plan["date"],
        version=plan["version"],
        vehicles=[v["vehicle_id"] for v in plan["vehicles"]],
        unserved=[u["id"] for u in plan["unserved"]],
    )


# The meals' entrypoints come from a mixin; imported as a module so that `nameko run` does not
# take the mixin for a service of its own.
class RoutingService(day_entrypoints.DayEntrypoints):
    name = "routing"

    store: RoutingStore = RedisStore(RoutingStore)
    uptime: float = Uptime()
    dispatch = EventDispatcher()
    network: RoadNetworkHandle = RoadNetwork()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)

    @rpc(expected_exceptions=(InvalidMessage, NotFound))
    def report_delivery_failed(
        self, message: dict[str, Any], caller: dict[str, Any]
    ) -> dict[str, Any]:
        """Only for a delivery on a round of that day the caller reaches (a driver: their own);
        once per delivery and day. Anything else answers NotFound and publishes nothing."""
        who = _caller(caller)
        envelope, report = open_message(message, DeliveryFailureReport)
        day = day_of(report.attempted_at)
        stop = stop_of(who, self.store.rounds.of_day(envelope.tenant, day), report.delivery_id)
        if stop is None:
            raise NotFound(f"no delivery {report.delivery_id} on a round of {day}")
        if stop.get("commune") and stop["commune"] != report.commune:
            raise InvalidMessage(
                f"delivery {report.delivery_id} is in commune {stop['commune']}, "
                f"not {report.commune}"
            )
        event = make_message(
            failure_event(report, who.username),
            tenant=envelope.tenant,
            correlation_id=envelope.correlation_id,
        )
        recorded = self.store.record_delivery_failure(
            envelope.tenant, report, day, who.username, event
        )
        self._relay()
        return {"delivery_id": report.delivery_id, "status": "failed", "new": recorded}

    @rpc(expected_exceptions=ROUND_ERRORS)
    def get_delivery(self, tenant: str, caller: dict[str, Any], delivery_id: str) -> dict[str, str]:
        """A delivery's last reported status (dispatchers and admins)."""
        status = self.store.delivery_status(tenant, delivery_id)
        if not status or not _caller(caller).tenant_wide:
            raise NotFound(f"no delivery {delivery_id} was reported")
        return status

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
    def travel_times(self, request: dict[str, Any]) -> dict[str, Any]:
        """Sources × targets durations and distances (`TravelTimesRequest`), not N×N."""
        asked = _validated(TravelTimesRequest, request)
        router, _ = self._road()
        try:
            found = travel_times(router, asked.sources, asked.targets)
        except PointError as error:
            raise InvalidMessage(str(error)) from None
        return found.to_json()

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
    def plan_meal_round(
        self, tenant: str, caller: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        """Plan the day's meal rounds; publishes `round_planned`."""
        _planner(caller)
        validated = _validated(MealRoundRequest, request).model_dump(mode="json")
        router, executor = self._road()
        round_id = f"meals-{validated['date']}-{uuid.uuid4().hex[:8]}"
        try:
            plan = executor.submit(
                meal_job.plan_meals_job, router.graph.version, validated, round_id
            ).result()
        except PLAN_ERRORS as error:
            raise InvalidMessage(str(error)) from None
        return self._keep_new_plan(tenant, plan, validated)

    @rpc(expected_exceptions=ROUND_ERRORS)
    def replan_round(
        self, tenant: str, caller: dict[str, Any], round_id: str, change: dict[str, Any]
    ) -> dict[str, Any]:
        """A new plan from where a vehicle is; done stops never move. Publishes
        `round_replanned`."""
        who = _caller(caller)
        validated = _validated(ReplanRequest, change).model_dump(mode="json")
        found = self.store.rounds.get(tenant, round_id)
        if found is None or not who.tenant_wide:
            raise NotFound(f"no round {round_id}")
        plan, request = found
        if validated["vehicle_id"] not in {v["vehicle_id"] for v in plan["vehicles"]}:
            raise InvalidMessage(f"vehicle {validated['vehicle_id']} has no round in {round_id}")
        router, executor = self._road()
        try:
            if plan["kind"] == "waste":
                containers = self._plannable(tenant)
                unknown = set(validated["urgent_containers"]) - {c["id"] for c in containers}
                if unknown:
                    raise InvalidMessage(
                        f"urgent containers not registered, or retired: {sorted(unknown)}"
                    )
                readings = {
                    c["id"]: self.store.containers.readings(tenant, c["id"]) for c in containers
                }
                job = executor.submit(
                    waste_job.replan_waste_job,
                    router.graph.version,
                    request,
                    plan,
                    validated,
                    containers,
                    readings,
                )
            else:
                job = executor.submit(
                    meal_job.replan_meals_job, router.graph.version, request, plan, validated
                )
            new_plan = job.result()
        except PLAN_ERRORS as error:
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
    def get_round(self, tenant: str, caller: dict[str, Any], round_id: str) -> dict[str, Any]:
        """The round as the caller may see it: whole for a dispatcher, a driver's own vehicles."""
        who = _caller(caller)
        found = self.store.rounds.get(tenant, round_id)
        vehicles = vehicles_for(who, found[0]) if found is not None else []
        if found is None or not (who.tenant_wide or vehicles):
            raise NotFound(f"no round {round_id}")
        return {**found[0], "vehicles": vehicles}

    @rpc(expected_exceptions=ROUND_ERRORS)
    def rounds_of_day(
        self, tenant: str, caller: dict[str, Any], day: str, driver: str | None = None
    ) -> list[dict[str, Any]]:
        """The day's rounds the caller reaches (a driver: their own vehicles only); with
        `driver`, only that driver's vehicles."""
        who = _caller(caller)
        mine = []
        for plan in self.store.rounds.of_day(tenant, day):
            vehicles = vehicles_for(who, plan)
            if driver is not None:
                vehicles = [v for v in vehicles if v.get("driver") == driver]
            if vehicles or (who.tenant_wide and driver is None):
                mine.append({**plan, "vehicles": vehicles})
        return mine

    # -- waste ----------------------------------------------------------------------------------
    @rpc(expected_exceptions=ROUND_ERRORS)
    def register_containers(
        self, tenant: str, caller: dict[str, Any], containers: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Register (or replace) containers, each checked on the road graph: one too far from any
        road is refused, named with its distance and nearest road, unless the caller accepts its
        nearest road point. Answers per container; refuses the lot when none can be registered."""
        _planner(caller)
        wanted = [_validated(ContainerIn, c) for c in containers]
        ids = [c.id for c in wanted]
        if len(set(ids)) != len(ids):
            raise InvalidMessage(
                f"container ids must be unique: {sorted({i for i in ids if ids.count(i) > 1})}"
            )
        verdicts: list[ContainerVerdict] = []
        keep: list[dict[str, Any]] = []
        for accept in (False, True):
            group = [c for c in wanted if c.accept_nearest_road is accept]
            placement = self._place([(c.id, c.name, c.location) for c in group], accept)
            for container in group:
                verdict, stored = registration_verdict(container, placement)
                verdicts.append(verdict)
                if stored is not None:
                    keep.append(stored)
        if not keep:
            raise InvalidMessage("; ".join(v.detail for v in verdicts))
        self.store.containers.register(tenant, keep)
        order = {cid: i for i, cid in enumerate(ids)}
        verdicts.sort(key=lambda v: order[v.id])
        return ContainersRegistered(
            registered=len(keep), refused=len(verdicts) - len(keep), items=verdicts
        ).model_dump(mode="json")

    @rpc(expected_exceptions=ROUND_ERRORS)
    def list_containers(self, tenant: str, caller: dict[str, Any]) -> list[dict[str, Any]]:
        if not _caller(caller).tenant_wide:
            return []
        return self.store.containers.all(tenant)

    @rpc(expected_exceptions=ROUND_ERRORS)
    def get_container(
        self, tenant: str, caller: dict[str, Any], container_id: str
    ) -> dict[str, Any]:
        """The container and its readings still kept (oldest first)."""
        found = self._container(tenant, caller, container_id)
        return {
            "container": found,
            "readings": self.store.containers.readings(tenant, container_id),
        }

    @rpc(expected_exceptions=ROUND_ERRORS)
    def update_container(
        self, tenant: str, caller: dict[str, Any], container_id: str, patch: dict[str, Any]
    ) -> dict[str, Any]:
        """Move (checked on the road graph like a registration), rename, resize or retire."""
        current = ContainerOut.model_validate(self._container(tenant, caller, container_id))
        change = _validated(ContainerPatch, patch)
        updates = change.model_dump(exclude_unset=True, exclude={"accept_nearest_road"})
        updates = {k: v for k, v in updates.items() if v is not None}
        if change.location is not None:
            placement = self._place(
                [(container_id, current.name, change.location)], change.accept_nearest_road
            )
            if placement.misplaced:
                allowed = self._road()[0].max_snap_m
                raise InvalidMessage(
                    f"container {placement.misplaced[0].describe()} (at most {allowed:.0f} m "
                    "allowed): give coordinates on a road, or send accept_nearest_road=true"
                )
            updates["location"] = placement.located[container_id]
        moved = ContainerOut.model_validate({**current.model_dump(), **updates})
        self.store.containers.register(tenant, [moved.model_dump(mode="json")])
        return moved.model_dump(mode="json")

    @rpc(expected_exceptions=ROUND_ERRORS)
    def delete_container(
        self, tenant: str, caller: dict[str, Any], container_id: str
    ) -> dict[str, Any]:
        """Forget a container; its readings are kept for the retention period, then expire."""
        self._container(tenant, caller, container_id)
        self.store.containers.delete(tenant, container_id)
        return {"id": container_id, "deleted": True}

    def _container(self, tenant: str, caller: dict[str, Any], container_id: str) -> dict[str, Any]:
        found = self.store.containers.get(tenant, container_id)
        if found is None or not _caller(caller).tenant_wide:
            raise NotFound(f"no container {container_id}")
        return found

    def _place(self, spots: list[tuple[str, str, Any]], accept: bool) -> Placement:
        if not spots:
            return Placement({}, [])
        router, executor = self._road()
        placed: Placement = executor.submit(place_job, router.graph.version, spots, accept).result()
        return placed

    def _plannable(self, tenant: str) -> list[dict[str, Any]]:
        return [c for c in self.store.containers.all(tenant) if not c.get("retired")]

    @rpc(expected_exceptions=ROUND_ERRORS)
    def record_reading(
        self, tenant: str, caller: dict[str, Any], reading: dict[str, Any]
    ) -> dict[str, Any]:
        """A fill-level reading; the same reading id twice is recorded once."""
        _planner(caller)
        return self._record_reading(tenant, reading)

    def _record_reading(self, tenant: str, reading: dict[str, Any]) -> dict[str, Any]:
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
        self._record_reading(envelope.tenant, reading.model_dump(mode="json"))

    @rpc(expected_exceptions=ROUND_ERRORS)
    def plan_waste_round(
        self, tenant: str, caller: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        """Forecast every container of the stream, plan the trucks' trips; `round_planned`.
        Retired containers are left out."""
        _planner(caller)
        validated = _validated(WasteRoundRequest, request).model_dump(mode="json")
        containers = [c for c in self._plannable(tenant) if c["stream"] == validated["stream"]]
        if not containers:
            raise InvalidMessage(f"no {validated['stream']} container is registered")
        readings = {c["id"]: self.store.containers.readings(tenant, c["id"]) for c in containers}
        router, executor = self._road()
        round_id = f"waste-{validated['date']}-{uuid.uuid4().hex[:8]}"
        try:
            plan = executor.submit(
                waste_job.plan_waste_job,
                router.graph.version,
                validated,
                containers,
                readings,
                round_id,
            ).result()
        except PLAN_ERRORS as error:
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

    # Looked at hourly, run once a day per deployment (whichever instance claims the day), also
    # soon after a start so that restarts never starve it.
    @timer(interval=3600, eager=True)
    def apply_positions_retention(self) -> None:
        now = datetime.now(UTC)
        if self.store.claim_daily("positions_retention", now.date().isoformat()):
            keep_days = self.store.settings.positions_retention_days
            positions_purge.apply_retention(self.store.meals, now, keep_days)

    @timer(interval=2)
    def relay_outbox(self) -> None:
        # Catches events left behind by a crash between the state write and the publication.
        self._relay()

    def _relay(self) -> None:
        outbox.relay(self.store.client, self.store.outbox_prefix, self.dispatch)


def _caller(raw: Any) -> Caller:
    return _validated(Caller, raw)


def _planner(raw: Any) -> Caller:
    """Planning and the containers are the dispatchers' (and admins'): the whole tenant's."""
    who = _caller(raw)
    if not who.tenant_wide:
        raise Forbidden(f"{who.role.value}s do not plan rounds or manage containers")
    return who


def _validated(model: type[ModelT], raw: Any) -> ModelT:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidMessage(describe_validation_error(error)) from None
