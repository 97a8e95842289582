"""Pure: what becomes of a container at registration, given where the road graph places it."""

from __future__ import annotations

from typing import Any

from contracts.rounds import ContainerIn, ContainerOut, ContainerVerdict
from services.routing.jobs.placement import Placement


def registration_verdict(
    container: ContainerIn, placement: Placement
) -> tuple[ContainerVerdict, dict[str, Any] | None]:
    """One container's verdict, and what to store when it is registered."""
    misplaced = next((m for m in placement.misplaced if m.id == container.id), None)
    if misplaced is not None:
        return ContainerVerdict(
            id=container.id,
            status="refused",
            detail=f"container {misplaced.describe()}: give coordinates on a road, or send "
            "accept_nearest_road=true to register it at its nearest road point",
            distance_m=round(misplaced.distance_m, 1) if misplaced.distance_m < 1e12 else None,
            nearest_road=misplaced.road or None,
        ), None
    where = placement.located[container.id]
    stored = ContainerOut.model_validate(
        {**container.model_dump(exclude={"accept_nearest_road"}), "location": where}
    )
    return ContainerVerdict(
        id=container.id, status="registered", location=where
    ), stored.model_dump(mode="json")
