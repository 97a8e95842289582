"""Routing's entrypoints for the connected containers, mixed into RoutingService: register
them (each checked on the road graph), list, forecast, move, retire, forget, and their fill
readings (by RPC, or as events from the sensors' bridge, recorded once each). Thin: placement
runs on the solve pool (`jobs/placement.py`), the forecast is `rounds/fill_outlook.py`."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from contracts.rounds import (
    ContainerIn,
    ContainerOut,
    ContainerPatch,
    ContainersRegistered,
    ContainerVerdict,
    FillReading,
    ForecastRequest,
    ReadingOutcome,
)
from services.common.dead_letter import event_handler
from services.common.errors import NotFound
from services.common.events import InvalidMessage, open_message
from services.routing.containers import registration_verdict
from services.routing.entry_checks import ROUND_ERRORS, caller_of, checked, planner
from services.routing.jobs.placement import Placement, place_job
from services.routing.rounds.fill_outlook import fill_outlook


class ContainerEntrypoints:
    """Mixed into RoutingService (which provides `store` and `_road`)."""

    store: Any
    _road: Any

    @rpc(expected_exceptions=ROUND_ERRORS)
    def register_containers(
        self, tenant: str, caller: dict[str, Any], containers: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Register (or replace) containers, each checked on the road graph: one too far from any
        road is refused, named with its distance and nearest road, unless the caller accepts its
        nearest road point. Answers per container; refuses the lot when none can be registered."""
        planner(caller)
        wanted = [checked(ContainerIn, c) for c in containers]
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
        if not caller_of(caller).tenant_wide:
            return []
        return self.store.containers.all(tenant)

    @rpc(expected_exceptions=ROUND_ERRORS)
    def container_forecasts(
        self, tenant: str, caller: dict[str, Any], request: dict[str, Any]
    ) -> dict[str, Any]:
        """`ForecastRequest` → `ContainerForecasts`: every container in service, its last
        reading, its forecast fill at `at` (the waste rounds' model), rate and when it is full."""
        planner(caller)
        wanted = checked(ForecastRequest, request)
        containers = self._plannable(tenant)
        readings = {c["id"]: self.store.containers.readings(tenant, c["id"]) for c in containers}
        outlook = fill_outlook(
            containers, readings, wanted.at, wanted.threshold_pct, wanted.optional_from_pct
        )
        return outlook.model_dump(mode="json")

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
        change = checked(ContainerPatch, patch)
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
        if found is None or not caller_of(caller).tenant_wide:
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
        planner(caller)
        return self._record_reading(tenant, reading)

    def _record_reading(self, tenant: str, reading: dict[str, Any]) -> dict[str, Any]:
        validated = checked(FillReading, reading)
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
