"""Great-circle distances with numpy, shared by the prefilter and the landmark choice. Pure."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_M = 6_371_000.0
FloatArray = npt.NDArray[np.float64]


def haversine_pairs(a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle metres between rows of [lat, lon] (broadcasting)."""
    lat1, lon1 = np.radians(a[..., 0]), np.radians(a[..., 1])
    lat2, lon2 = np.radians(b[..., 0]), np.radians(b[..., 1])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_M * np.arcsin(np.sqrt(np.minimum(h, 1.0))), dtype=np.float64)
