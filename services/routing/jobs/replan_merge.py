"""One rule for both re-plans: how a re-planned vehicle's round joins the rest of the plan.

The other vehicles keep their rounds. What was unserved (or skipped) before stays listed, unless
the re-plan settled it: the stop is now on the re-planned round, or the re-plan says anew why it
is left out (then its new word replaces the old one).
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.rounds import RoundPlan


def merge_replanned(
    previous: RoundPlan, vehicle_id: str, rebuilt: RoundPlan, changed: Sequence[str]
) -> RoundPlan:
    others = [v for v in previous.vehicles if v.vehicle_id != vehicle_id]
    planned = {s.id for v in rebuilt.vehicles for s in v.stops}
    restated = planned | {u.id for u in rebuilt.unserved} | {s["id"] for s in rebuilt.skipped}
    return previous.model_copy(
        update={
            "version": previous.version + 1,
            "vehicles": sorted([*others, *rebuilt.vehicles], key=lambda v: v.vehicle_id),
            "unserved": [u for u in previous.unserved if u.id not in restated]
            + list(rebuilt.unserved),
            "skipped": [s for s in previous.skipped if s["id"] not in restated]
            + list(rebuilt.skipped),
            "feasible": rebuilt.feasible,
            "engine": rebuilt.engine,
            "solve_seconds": rebuilt.solve_seconds,
            "changed": list(changed),
        }
    )
