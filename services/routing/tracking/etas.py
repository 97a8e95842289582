"""Pure: ETAs of a round's remaining stops.

The road time from the vehicle to its next stop comes from one single-source search from the
vehicle's snapped position (done by the caller, on the road graph); the legs between the
remaining stops do not change while the vehicle drives, so they come from the round's matrix,
computed once when the round starts. A stop's service starts no earlier than its window.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# An ETA that moved less than this is not news (families are not told every minute).
MOVE_THRESHOLD_S = 120.0


@dataclass(frozen=True)
class RemainingStop:
    delivery_id: str
    window_start_s: float  # seconds since local midnight
    service_s: float


def remaining_etas(
    now_s: float,
    to_next_s: float,
    legs_s: Sequence[float],
    stops: Sequence[RemainingStop],
) -> dict[str, float]:
    """Arrival (seconds since local midnight) at each remaining stop, in visiting order.

    `legs_s[i]` is the road time from `stops[i]` to `stops[i + 1]`.
    """
    if len(legs_s) < len(stops) - 1:
        raise ValueError(f"{len(stops)} stops need {len(stops) - 1} legs, got {len(legs_s)}")
    arrivals: dict[str, float] = {}
    arrival = now_s + to_next_s
    for i, stop in enumerate(stops):
        arrivals[stop.delivery_id] = arrival
        departure = max(arrival, stop.window_start_s) + stop.service_s
        if i + 1 < len(stops):
            arrival = departure + legs_s[i]
    return arrivals


def moved(
    previous: Mapping[str, float],
    current: Mapping[str, float],
    threshold_s: float = MOVE_THRESHOLD_S,
) -> list[str]:
    """Stops whose ETA is new or moved by more than `threshold_s`, in `current`'s order."""
    return [
        stop
        for stop, eta in current.items()
        if stop not in previous or abs(eta - previous[stop]) > threshold_s
    ]


def stops_before(order: Sequence[str], delivery_id: str) -> int:
    """How many remaining stops the vehicle makes before `delivery_id`."""
    return list(order).index(delivery_id)


def legs_between(
    order: Sequence[str], legs_s: Sequence[float], remaining: Sequence[str]
) -> list[float]:
    """Road times between consecutive remaining stops, from the planned order's legs
    (`legs_s[i]`: `order[i]` to `order[i + 1]`). A stop done out of order is passed by: the
    legs through it are added."""
    index = {stop: i for i, stop in enumerate(order)}
    return [
        float(sum(legs_s[k] for k in range(index[a], index[b])))
        for a, b in itertools.pairwise(remaining)
    ]
