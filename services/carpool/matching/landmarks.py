"""Road-time lower bounds through landmarks (ALT), to rule rides out before the big matrix.

Shortest driving times obey the triangle inequality, so for any landmark L:
T(a, b) >= T(L, b) - T(L, a) and T(a, b) >= T(a, L) - T(b, L). Each ride keeps its ends' times to
and from the tenant's landmarks (asked once, when it is offered); a query asks the times between
its own few points and the landmarks (a tiny matrix). A ride is dropped only when these bounds
already break its detour budget or the passenger's windows: exact, nothing feasible is lost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.carpool.matching.geo import haversine_pairs

COUNT = 32
FloatArray = npt.NDArray[np.float64]


def choose(points: Sequence[tuple[float, float]], count: int = COUNT) -> list[tuple[float, float]]:
    """Spread landmarks: farthest-point sampling over the given points (deterministic)."""
    unique = list(dict.fromkeys(points))
    if len(unique) <= count:
        return unique
    coords = np.array(unique, dtype=np.float64)
    chosen = [0]
    nearest = haversine_pairs(coords, coords[0])
    while len(chosen) < count:
        far = int(np.argmax(nearest))
        chosen.append(far)
        nearest = np.minimum(nearest, haversine_pairs(coords, coords[far]))
    return [unique[i] for i in chosen]


@dataclass(frozen=True)
class RideEnds:
    """Per ride (n rides, K landmarks): T(L→O), T(O→L), T(L→D), T(D→L); NaN when unknown."""

    from_l_to_o: FloatArray
    from_o_to_l: FloatArray
    from_l_to_d: FloatArray
    from_d_to_l: FloatArray


@dataclass(frozen=True)
class AskTimes:
    """For each pickup candidate p and drop-off candidate q: times to and from the landmarks,
    the time p → q, and the windows at p and q (seconds since midnight)."""

    l_to_p: FloatArray  # (P, K)
    p_to_l: FloatArray
    l_to_q: FloatArray  # (Q, K)
    q_to_l: FloatArray
    p_to_q: FloatArray  # (P, Q)
    pickup_latest: FloatArray  # (P,)
    dropoff_latest: FloatArray  # (Q,)


def _bound(forward: FloatArray, backward: FloatArray) -> FloatArray:
    """max over landmarks of the two differences; 0 where nothing is known."""
    both = np.fmax(forward, backward)
    known = np.where(np.isfinite(both), both, -np.inf)
    best = np.max(known, axis=-1, initial=0.0)
    return np.asarray(best, dtype=np.float64)


def feasible(
    ends: RideEnds, ask: AskTimes, depart_earliest: FloatArray, budget: FloatArray
) -> npt.NDArray[np.bool_]:
    """Rides that no bound rules out (n,)."""
    # T(O, p) >= T(L, p) - T(L, O) and >= T(O, L) - T(p, L): shape (n, P)
    o_to_p = _bound(
        ask.l_to_p[None, :, :] - ends.from_l_to_o[:, None, :],
        ends.from_o_to_l[:, None, :] - ask.p_to_l[None, :, :],
    )
    # T(q, D) >= T(L, D) - T(L, q) and >= T(q, L) - T(D, L): shape (n, Q)
    q_to_d = _bound(
        ends.from_l_to_d[:, None, :] - ask.l_to_q[None, :, :],
        ask.q_to_l[None, :, :] - ends.from_d_to_l[:, None, :],
    )
    drive = o_to_p[:, :, None] + ask.p_to_q[None, :, :] + q_to_d[:, None, :]  # (n, P, Q)
    arrive_p = depart_earliest[:, None] + o_to_p  # (n, P)
    ok = drive <= budget[:, None, None] + 1e-6
    ok &= (arrive_p <= ask.pickup_latest[None, :])[:, :, None]
    ok &= arrive_p[:, :, None] + ask.p_to_q[None, :, :] <= ask.dropoff_latest[None, None, :]
    return np.asarray(ok.any(axis=(1, 2)), dtype=np.bool_)


def end_columns(
    travel: Callable[[int, int], float], origin: int, destination: int, landmarks: Sequence[int]
) -> list[float | None]:
    """A ride's row tail: T(L→O)…, T(O→L)…, T(L→D)…, T(D→L)…; None where no road."""

    def known(value: float) -> float | None:
        return None if math.isinf(value) else round(value, 1)

    return (
        [known(travel(k, origin)) for k in landmarks]
        + [known(travel(origin, k)) for k in landmarks]
        + [known(travel(k, destination)) for k in landmarks]
        + [known(travel(destination, k)) for k in landmarks]
    )  # fmt: skip
