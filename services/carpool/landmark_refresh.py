"""Rides' landmark times brought onto the road graph routing answers on now.

Each ride's row in the day's index keeps its ends' times to and from the tenant's landmarks,
computed when it was offered, and names that graph (`store.save_offer`). After routing moves to a
rebuilt graph, the prefilter leaves those times out (`prefilter.rows_on_graph`): correct, but
the rides offered before the rebuild lose the landmark bounds that make a search fast, for as
long as they run (a recurring offer: months). This asks routing for the stale rides' times again,
one rectangle per day (their ends × the landmarks, both ways), and writes them back under the new
graph. A ride cancelled meanwhile is not written back. Only rows from another graph are
recomputed, so a pass with nothing stale asks nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.carpool import road_version
from services.carpool.matching.landmarks import end_columns
from services.carpool.matching.prefilter import BASE_COLUMNS
from services.carpool.matching.rectangles import LatLonT, Rectangle, TimesFn
from services.carpool.ride_rows import RideRows
from services.carpool.store import CarpoolStore


def refresh_day(store: CarpoolStore, tenant: str, day: str, times_of: TimesFn) -> int:
    """Recompute the day's rows whose landmark times come from another graph than the one
    routing answers on; returns how many were written back."""
    graph = road_version.current()
    marks = store.landmarks(tenant)
    if graph is None or not marks:
        return 0
    stale = [(key, row) for key, row, on in store.day_rows(tenant, day) if on != graph]
    if not stale:
        return 0
    ends = list(dict.fromkeys(end for _, row in stale for end in _ends(row)))
    out, back = times_of(ends, marks, True)
    if back is None or road_version.current() != graph:
        return 0  # routing moved again meanwhile: the next pass asks on the newest graph
    at = {point: i for i, point in enumerate(ends)}
    travel = _travel(out, back, len(ends))
    marked = range(len(ends), len(ends) + len(marks))
    rows = {
        key: [*row[:BASE_COLUMNS], *end_columns(travel, at[origin], at[destination], marked)]
        for key, row in stale
        for origin, destination in [_ends(row)]
    }
    return RideRows(store).rewrite_rows(tenant, day, rows, graph)


def _ends(row: Sequence[float | None]) -> tuple[LatLonT, LatLonT]:
    return (float(row[0] or 0), float(row[1] or 0)), (float(row[2] or 0), float(row[3] or 0))


def _travel(out: Rectangle, back: Rectangle, ends: int) -> Callable[[int, int], float]:
    """Times between the ends (indices below `ends`) and the landmarks (from `ends` on), as
    `end_columns` reads them: ends × landmarks from `out`, landmarks × ends from `back`."""

    def travel(a: int, b: int) -> float:
        return out[0][a][b - ends] if a < ends else back[0][a - ends][b]

    return travel


def refresh_all(
    store: CarpoolStore, tenants: Sequence[str], first_day: str, times_of: TimesFn
) -> int:
    """Every tenant's days from `first_day` on; each (tenant, day, graph) is taken by one
    instance of the deployment only. Returns how many rows were written back."""
    graph = road_version.current()
    if graph is None:
        return 0  # routing not heard yet: nothing known to be stale
    written = 0
    index = RideRows(store)
    for tenant in tenants:
        for day in index.index_days(tenant):
            if day >= first_day and index.claim_refresh(tenant, day, graph):
                written += refresh_day(store, tenant, day, times_of)
    return written
