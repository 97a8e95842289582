"""The generic routing problem every round is reduced to, and the solution every engine returns.

Units are integers throughout: the matrices hold seconds (duration) and whatever the objective
counts (cost: seconds of driving for rounds, tenths of a unit for DIMACS instances). A location is
an index into the matrices; a stop is something to do at a location (several stops may share one).
Everything here is plain, frozen and picklable, so a problem crosses a process boundary as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntMatrix = npt.NDArray[np.int64]

# Two days: longer than any shift, small enough to keep OR-Tools' sums far from overflow.
HORIZON = 2 * 24 * 3600


@dataclass(frozen=True)
class Stop:
    """A visit to make: deliver to (or collect from) `location`.

    `tw_early`/`tw_late` bound the start of service (the Solomon convention: arriving early means
    waiting, starting after `tw_late` is not allowed). A stop that is not `required` may be left
    out at the cost of its `prize`.
    """

    location: int
    demand: int = 0
    service: int = 0
    tw_early: int = 0
    tw_late: int = HORIZON
    required: bool = True
    prize: int = 0
    preferred_vehicle: int | None = None


@dataclass(frozen=True)
class Vehicle:
    """One vehicle: where it starts and ends, what it carries, when it works.

    `fixed_departure` pins the departure to `shift_start` (a vehicle already on the road);
    otherwise it may leave later. `ride_elapsed` is the time its load has already spent on board
    (re-planning a meal round under way), counted against `Problem.max_ride`.
    """

    start: int
    end: int
    capacity: int
    shift_start: int = 0
    shift_end: int = HORIZON
    fixed_departure: bool = False
    ride_elapsed: int = 0
    initial_load: int = 0
    fixed_cost: int = 0


@dataclass(frozen=True)
class Problem:
    """Stops, vehicles and the matrices between locations.

    Optional features, each off by default:
    - `max_ride`: longest time between a vehicle's departure and the start of service at any of its
      stops (the cold/hot chain of a meal round).
    - `reload_locations`: sites where a vehicle empties its load and goes on (waste disposal);
      `reload_service` is the time it takes there, `reloads_per_site` the most visits to a site in
      the whole plan, and `unload_at_end` makes every vehicle end empty.
    - `preference_penalty`: cost of serving a stop with another vehicle than its preferred one.
    - `previous_routes` and `change_penalty`: the stability penalty of re-planning. A previously
      planned stop reached from another predecessor than before (among the previous stops and the
      vehicle's start), or by another vehicle, costs `change_penalty`; see `replan.py`.
    """

    cost: IntMatrix
    duration: IntMatrix
    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    max_ride: int | None = None
    reload_locations: tuple[int, ...] = ()
    reload_service: int = 0
    reloads_per_site: int = 0
    unload_at_end: bool = False
    preference_penalty: int = 0
    previous_routes: tuple[tuple[int, ...], ...] | None = None
    change_penalty: int = 0

    def __post_init__(self) -> None:
        n = self.cost.shape[0]
        if self.cost.shape != (n, n) or self.duration.shape != (n, n):
            raise ValueError("cost and duration must be square matrices of the same size")
        locations = [s.location for s in self.stops]
        locations += [v.start for v in self.vehicles] + [v.end for v in self.vehicles]
        locations += list(self.reload_locations)
        if locations and (min(locations) < 0 or max(locations) >= n):
            raise ValueError("a location index is outside the matrices")
        if not self.vehicles:
            raise ValueError("a problem needs at least one vehicle")


# A visit in a route is a stop index (>= 0) or a reload at site k, written -1 - k.
def reload_visit(site: int) -> int:
    return -1 - site


def is_reload(visit: int) -> bool:
    return visit < 0


def reload_site(visit: int) -> int:
    return -1 - visit


@dataclass(frozen=True)
class Solution:
    """The plan an engine found: one route (a tuple of visits) per vehicle, in vehicle order.

    `objective` is recomputed by our own checker, never taken from an engine; `feasible` and
    `violations` are the checker's verdict. `reason` says why there is no plan when `routes` is
    empty and stops were required.
    """

    routes: tuple[tuple[int, ...], ...]
    objective: int
    feasible: bool
    engine: str
    seconds: float
    violations: tuple[str, ...] = ()
    reason: str = ""
    unserved: tuple[int, ...] = field(default=())

    @property
    def found(self) -> bool:
        return self.feasible and bool(self.routes)
