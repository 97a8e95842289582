"""The routing service's entrypoints: validate, call the store or pure code, publish."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nameko.events import EventDispatcher
from nameko.rpc import rpc
from nameko.timer import timer

from contracts.deliveries import DeliveryFailureReport
from contracts.rounds import (
    MealRoundRequest,
    ReplanRequest,
    RoundPlanned,
    WasteRoundRequest,
)
from contracts.routing import MatrixRequest, RouteRequest, TravelTimesRequest
from services.common import outbox
from services.common.errors import Conflict, NotFound
from services.common.events import (
    InvalidMessage,
    make_message,
    open_message,
)
from services.common.ping import ping_answer
from services.common.redis_store import RedisStore
from services.common.request_id import RequestId, identified_rpc
from services.common.uptime import Uptime
from services.routing import (
    container_entrypoints,
    day_entrypoints,
    matrix_cache,
    matrix_pool,
    positions_purge,
)
from services.routing.deliveries import day_of, stop_of, vehicles_for
from services.routing.dependencies import RoadNetwork, RoadNetworkHandle
from services.routing.entry_checks import (
    PLAN_ERRORS,
    ROAD_ERRORS,
    ROUND_ERRORS,
    caller_of,
    checked,
    planner,
)
from services.routing.jobs import meal_job, waste_job
from services.routing.matrix import PointError, UnreachableError
from services.routing.network import NoRoadGraph
from services.routing.plan_keys import plan_round_id, replan_id, same_ask
from services.routing.rectangle import travel_times_both_ways
from services.routing.store import RoundConflict, RoutingStore, failure_event


def _planned(plan: dict[str, Any]) -> RoundPlanned:
    return RoundPlanned(
        round_id=plan["round_id"],
        kind=plan["kind"],
        date=plan["date"],
        version=plan["version"],
        vehicles=[v["vehicle_id"] for v in plan["vehicles"]],
        unserved=[u["id"] for u in plan["unserved"]],
    )


# The meals' and the containers' entrypoints come from mixins; imported as modules so that
# `nameko run` does not take a mixin for a service of its own.
class RoutingService(day_entrypoints.DayEntrypoints, container_entrypoints.ContainerEntrypoints):
    name = "routing"

    store: RoutingStore = RedisStore(RoutingStore)
    uptime: float = Uptime()
    dispatch = EventDispatcher()
    network: RoadNetworkHandle = RoadNetwork()
    request_id: str | None = RequestId()

    @rpc
    def ping(self) -> dict[str, Any]:
        return ping_answer(self.name, self.uptime, self.store.client)

    @rpc(expected_exceptions=(InvalidMessage, NotFound))
    def report_delivery_failed(
        self, message: dict[str, Any], caller: dict[str, Any]
    ) -> dict[str, Any]:
        """Only for a delivery on a round of that day the caller reaches (a driver: their own);
        once per delivery and day. Anything else answers NotFound and publishes nothing."""
        who = caller_of(caller)
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
        if not status or not caller_of(caller).tenant_wide:
            raise NotFound(f"no delivery {delivery_id} was reported")
        return status

    @rpc(expected_exceptions=ROAD_ERRORS)
    def travel_matrix(self, request: dict[str, Any]) -> dict[str, Any]:
        """N×N durations and distances between points, cached per graph version."""
        points = [list(p) for p in checked(MatrixRequest, request).points]
        router, executor = self._road()
        key = matrix_cache.points_hash(points, router.max_snap_m)
        cached = self.network.cache.get(router.graph.version, key)
        if cached is not None:
            return {**cached.to_json(), "cached": True}
        try:
            matrix = matrix_pool.travel_matrix(router, points, executor)
        except PointError as error:
            raise InvalidMessage(str(error)) from None
        self.network.cache.put(key, matrix)
        return {**matrix.to_json(), "cached": False}

    @rpc(expected_exceptions=ROAD_ERRORS)
    def travel_times(self, request: dict[str, Any]) -> dict[str, Any]:
        """Sources × targets durations and distances (`TravelTimesRequest`), not N×N."""
        asked = checked(TravelTimesRequest, request)
        router, _ = self._road()
        try:
            found, back = travel_times_both_ways(
                router, asked.sources, asked.targets, back=asked.both_ways
            )
        except PointError as error:
            raise InvalidMessage(str(error)) from None
        answer = found.to_json()
        if back is not None:
            returned = back.to_json()
            answer["back_durations_s"] = returned["durations_s"]
            answer["back_distances_m"] = returned["distances_m"]
        return answer

    @rpc(expected_exceptions=ROAD_ERRORS)
    def route(self, request: dict[str, Any]) -> dict[str, Any]:
        """The road path through the points, as a GeoJSON Feature (LineString)."""
        points = [list(p) for p in checked(RouteRequest, request).points]
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
    @identified_rpc(expected_exceptions=ROUND_ERRORS)
    def plan_meal_round(
        self, tenant: str, caller: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        """Plan the day's meal rounds; publishes `round_planned`."""
        who = planner(caller)
        validated = checked(MealRoundRequest, request).model_dump(mode="json")
        router, executor = self._road()
        round_id = plan_round_id("meals", validated, who, self.request_id)
        if (done := self._planned_before(tenant, round_id, validated)) is not None:
            return done
        try:
            plan = executor.submit(
                meal_job.plan_meals_job, router.graph.version, validated, round_id
            ).result()
        except PLAN_ERRORS as error:
            raise InvalidMessage(str(error)) from None
        return self._keep_new_plan(tenant, plan, validated)

    @identified_rpc(expected_exceptions=ROUND_ERRORS)
    def replan_round(
        self, tenant: str, caller: dict[str, Any], round_id: str, change: dict[str, Any]
    ) -> dict[str, Any]:
        """A new plan from where a vehicle is; done stops never move. Publishes
        `round_replanned`. The same replan delivered twice, or sent again with its
        `client_key`, makes one version."""
        who = caller_of(caller)
        validated = checked(ReplanRequest, change).model_dump(mode="json")
        found = self.store.rounds.get(tenant, round_id)
        if found is None or not who.tenant_wide:
            raise NotFound(f"no round {round_id}")
        replan = replan_id(round_id, validated, who, self.request_id)
        if (done := self._replanned_before(tenant, round_id, replan, validated)) is not None:
            return done
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
            made = self.store.rounds.replace_plan(
                tenant, new_plan, request, plan["version"], "round_replanned", event,
                replan=(replan, validated),
            )  # fmt: skip
        except RoundConflict as error:
            raise Conflict(str(error)) from None
        if not made:  # another delivery of this replan made the version meanwhile
            return self._replanned_before(tenant, round_id, replan, validated) or new_plan
        self._relay()
        return self._stated(tenant, dict(new_plan))

    def _replanned_before(
        self, tenant: str, round_id: str, replan: str, asked: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The round as it stands, when this replan is already done (a redelivery, or a retry
        with its `client_key`)."""
        done = self.store.rounds.replan_asked(tenant, round_id, replan)
        if done is None:
            return None
        if not same_ask(done, asked):
            raise Conflict("this client_key was already used for another replan of this round")
        found = self.store.rounds.get(tenant, round_id)
        return None if found is None else self._stated(tenant, dict(found[0]))

    @rpc(expected_exceptions=ROUND_ERRORS)
    def get_round(self, tenant: str, caller: dict[str, Any], round_id: str) -> dict[str, Any]:
        """The round as the caller may see it: whole for a dispatcher, a driver's own vehicles."""
        who = caller_of(caller)
        found = self.store.rounds.get(tenant, round_id)
        vehicles = vehicles_for(who, found[0]) if found is not None else []
        if found is None or not (who.tenant_wide or vehicles):
            raise NotFound(f"no round {round_id}")
        return self._stated(tenant, {**found[0], "vehicles": vehicles})

    @rpc(expected_exceptions=ROUND_ERRORS)
    def rounds_of_day(
        self, tenant: str, caller: dict[str, Any], day: str, driver: str | None = None
    ) -> list[dict[str, Any]]:
        """The day's rounds the caller reaches (a driver: their own vehicles only); with
        `driver`, only that driver's vehicles."""
        who = caller_of(caller)
        mine = []
        for plan in self.store.rounds.of_day(tenant, day):
            vehicles = vehicles_for(who, plan)
            if driver is not None:
                vehicles = [v for v in vehicles if v.get("driver") == driver]
            if vehicles or (who.tenant_wide and driver is None):
                mine.append(self._stated(tenant, {**plan, "vehicles": vehicles}))
        return mine

    # -- waste ----------------------------------------------------------------------------------
    @identified_rpc(expected_exceptions=ROUND_ERRORS)
    def plan_waste_round(
        self, tenant: str, caller: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        """Forecast every container of the stream, plan the trucks' trips; `round_planned`.
        Retired containers are left out."""
        who = planner(caller)
        validated = checked(WasteRoundRequest, request).model_dump(mode="json")
        containers = [c for c in self._plannable(tenant) if c["stream"] == validated["stream"]]
        if not containers:
            raise InvalidMessage(f"no {validated['stream']} container is registered")
        readings = {c["id"]: self.store.containers.readings(tenant, c["id"]) for c in containers}
        router, executor = self._road()
        round_id = plan_round_id("waste", validated, who, self.request_id)
        if (done := self._planned_before(tenant, round_id, validated)) is not None:
            return done
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
        """Store the plan with its `round_planned` event (one transaction), then relay it. The
        same request delivered twice (a broker restart mid-solve) keeps the first plan only."""
        event = make_message(_planned(plan), tenant=tenant)
        if not self.store.rounds.save_new(tenant, plan, request, "round_planned", event):
            return self._already_planned(tenant, plan["round_id"]) or dict(plan)
        self._relay()
        return self._stated(tenant, dict(plan))  # a meal round says it is planned

    def _already_planned(self, tenant: str, round_id: str) -> dict[str, Any] | None:
        found = self.store.rounds.get(tenant, round_id)
        return None if found is None else dict(found[0])

    def _planned_before(
        self, tenant: str, round_id: str, asked: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The plan this ask already made (a redelivery, or a retry with its `client_key`)."""
        found = self.store.rounds.get(tenant, round_id)
        if found is None:
            return None
        plan, request = found
        if not same_ask(request, asked):
            raise Conflict("this client_key was already used for another plan request")
        return self._stated(tenant, dict(plan))

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
