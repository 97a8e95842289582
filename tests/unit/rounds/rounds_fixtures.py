"""Small named road networks for the rounds tests: metres and seconds, index 0 = the depot."""

from __future__ import annotations

import numpy as np

SPEED_M_PER_S = 10.0  # 36 km/h: village roads


def matrices(points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(duration s, distance m) between points given in metres, as the road graph would give."""
    xy = np.asarray(points, dtype=float)
    metres = np.rint(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))).astype(np.int64)
    seconds = np.ceil(metres / SPEED_M_PER_S).astype(np.int64)
    return seconds, metres


def village_matrices() -> tuple[np.ndarray, np.ndarray]:
    """The kitchen at 0 and eight houses within 3 km, plus a farm 130 km away (index 9)."""
    return matrices(
        [
            (0, 0),
            (1000, 0),
            (2000, 500),
            (2500, 2000),
            (1000, 2500),
            (-1000, 1500),
            (-2000, -500),
            (-500, -2000),
            (1500, -1500),
            (130_000, 0),
        ]
    )


def h(hours: float) -> int:
    """Seconds from midnight."""
    return int(hours * 3600)
