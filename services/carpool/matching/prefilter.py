"""A fast, safe shortlist of the rides that could take a passenger, before any road time is asked.

Straight-line distance is never longer than the road, and no road is driven faster than
`speed_mps`, so `haversine / speed` is a lower bound of every driving time. A ride is dropped
only when even these lower bounds break its detour budget or the passenger's windows: at the
graph's top speed nothing that exact insertion would accept is lost. A lower speed shortlists
fewer rides and may lose some; the benchmark measures that recall against exhaustive insertion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.carpool.matching.geo import haversine_pairs
from services.carpool.matching.landmarks import RideEnds

TOP_SPEED_MPS = 130 / 3.6  # the fastest road class of the speed profile (motorway)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


BASE_COLUMNS = 10  # a row's columns before its landmark times (see `RideTable.from_rows`)


def rows_on_graph(
    rows: list[tuple[str, list[float | None], str | None]], graph: str | None
) -> list[tuple[str, list[float | None]]]:
    """The rows as the prefilter may use them on road graph `graph`: landmark times computed on
    another graph (before a rebuild) are dropped, so those rides are never pruned on bounds that
    may no longer hold; they are still matched exactly. Pure."""
    return [(key, row if on == graph else row[:BASE_COLUMNS]) for key, row, on in rows]


@dataclass(frozen=True)
class RideTable:
    """One row per ride of the day, as arrays (built once per query from the day's index)."""

    keys: list[str]
    origin: FloatArray  # (n, 2) lat, lon
    destination: FloatArray  # (n, 2)
    depart_earliest: FloatArray  # seconds since midnight
    depart_latest: FloatArray
    budget_s: FloatArray  # direct drive + accepted detour
    seats_free: FloatArray
    wheelchair: BoolArray
    child_seat: BoolArray
    ends: RideEnds | None = None  # times to and from the landmarks, when known

    @classmethod
    def from_rows(cls, rows: list[tuple[str, list[float | None]]], landmarks: int = 0) -> RideTable:
        """`rows`: (key, [olat, olon, dlat, dlon, dep_e, dep_l, budget, seats, chair, child,
        then 4 × `landmarks` times: L→O, O→L, L→D, D→L]); a row without them gets NaN."""
        width = BASE_COLUMNS + 4 * landmarks
        padded = [
            [math.nan if v is None else v for v in r[:width]]
            + [math.nan] * (width - len(r[:width]))
            for _, r in rows
        ]
        data = np.array(padded, dtype=np.float64).reshape(len(rows), width)
        k = landmarks
        ends = (
            RideEnds(
                data[:, 10 : 10 + k],
                data[:, 10 + k : 10 + 2 * k],
                data[:, 10 + 2 * k : 10 + 3 * k],
                data[:, 10 + 3 * k : 10 + 4 * k],
            )
            if k
            else None
        )
        return cls(
            keys=[k for k, _ in rows],
            origin=data[:, 0:2],
            destination=data[:, 2:4],
            depart_earliest=data[:, 4],
            depart_latest=data[:, 5],
            budget_s=data[:, 6],
            seats_free=data[:, 7],
            wheelchair=data[:, 8] > 0,
            child_seat=data[:, 9] > 0,
            ends=ends,
        )


def haversine_m(a: FloatArray, b: FloatArray) -> FloatArray:
    return haversine_pairs(a, b)


@dataclass(frozen=True)
class AskBounds:
    origin: tuple[float, float]
    destination: tuple[float, float]
    walk_m: float  # farthest a pickup or drop-off may be from the passenger's points
    pickup_earliest: float  # seconds since midnight; -inf / inf when open
    pickup_latest: float
    dropoff_earliest: float
    dropoff_latest: float
    seats: int = 1
    wheelchair: bool = False
    child_seat: bool = False


def shortlist(table: RideTable, ask: AskBounds, speed_mps: float = TOP_SPEED_MPS) -> list[int]:
    """Indexes of the rides that lower bounds cannot rule out, those with the most slack in
    their detour budget first."""
    if not table.keys:
        return []
    o = np.array(ask.origin, dtype=np.float64)
    d = np.array(ask.destination, dtype=np.float64)
    slack = ask.walk_m
    to_pickup = np.maximum(haversine_m(table.origin, o) - slack, 0.0) / speed_mps
    along = max(float(haversine_m(o, d)) - 2 * slack, 0.0) / speed_mps
    from_dropoff = np.maximum(haversine_m(d, table.destination) - slack, 0.0) / speed_mps
    keep = to_pickup + along + from_dropoff <= table.budget_s + 1e-6
    keep &= table.seats_free >= ask.seats
    if ask.wheelchair:
        keep &= table.wheelchair
    if ask.child_seat:
        keep &= table.child_seat
    # The car reaches the pickup no sooner than this, and no later than leaving last + budget.
    keep &= table.depart_earliest + to_pickup <= ask.pickup_latest
    keep &= table.depart_latest + table.budget_s >= ask.pickup_earliest
    keep &= table.depart_earliest + to_pickup + along <= ask.dropoff_latest
    keep &= table.depart_latest + table.budget_s >= ask.dropoff_earliest
    # Most promising first (the least lower bound on the driver's time), for a caller that caps.
    chosen = np.flatnonzero(keep)
    bound = (to_pickup + along + from_dropoff)[chosen]
    return [int(i) for i in chosen[np.argsort(bound - table.budget_s[chosen], kind="stable")]]
