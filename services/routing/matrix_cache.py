"""The Redis cache of travel matrices, keyed by graph version and a hash of the points.

Takes a redis client (built by the caller: the routing service's Redis provider, the benchmark);
it must return bytes, i.e. ``decode_responses=False``. A matrix is stored as raw uint32 arrays of
milliseconds and decimetres (the resolution of the JSON form, ``TravelMatrix.to_json``), not as
JSON: a 1000 x 1000 matrix is 8 MB and comes back with one HGETALL and two ``np.frombuffer``.
Unreachable pairs are stored as ``UNREACHABLE`` and come back as inf. Keys expire, and a new
graph version never reads an old entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from services.routing.matrix import TravelMatrix

KEY_PREFIX = "routing:matrix:"
DEFAULT_TTL_S = 7 * 24 * 3600
UNREACHABLE = np.iinfo(np.uint32).max


def _pack(values: npt.NDArray[np.float64], scale: float) -> bytes:
    finite = np.isfinite(values)
    packed = np.where(finite, np.rint(np.where(finite, values, 0) * scale), UNREACHABLE)
    return packed.astype(np.uint32).tobytes()


def _unpack(blob: bytes, n: int, scale: float) -> npt.NDArray[np.float64]:
    packed = np.frombuffer(blob, dtype=np.uint32).reshape(n, n)
    values = packed / scale
    values[packed == UNREACHABLE] = np.inf
    return values


def points_hash(
    points: Sequence[Sequence[float]] | npt.NDArray[np.float64], max_snap_m: float
) -> str:
    """Same points (to 1e-7 degree, ~1 cm) and same snapping limit: same hash."""
    array = np.round(np.asarray(points, dtype=np.float64).reshape(-1, 2), 7)
    digest = hashlib.sha256(array.tobytes())
    digest.update(repr(float(max_snap_m)).encode())
    return digest.hexdigest()[:32]


def cache_key(graph_version: str, points_key: str) -> str:
    return f"{KEY_PREFIX}{graph_version}:{points_key}"


def put_matrix(
    client: Any, points_key: str, matrix: TravelMatrix, ttl_s: int = DEFAULT_TTL_S
) -> str:
    key = cache_key(matrix.graph_version, points_key)
    meta = {
        "n": len(matrix.snap_distance_m),
        "snap_distance_m": matrix.snap_distance_m.tolist(),
        "snapped": matrix.snapped.tolist(),
        "unreachable": [list(p) for p in matrix.unreachable],
    }
    pipe = client.pipeline(transaction=True)
    pipe.hset(
        key,
        mapping={
            "durations_ms": _pack(matrix.durations_s, 1000.0),
            "distances_dm": _pack(matrix.distances_m, 10.0),
            "meta": json.dumps(meta),
        },
    )
    pipe.expire(key, ttl_s)
    pipe.execute()
    return key


def get_matrix(client: Any, graph_version: str, points_key: str) -> TravelMatrix | None:
    """The cached matrix, or None on a miss."""
    fields = client.hgetall(cache_key(graph_version, points_key))
    if not fields:
        return None
    durations = fields.get(b"durations_ms")
    if not isinstance(durations, bytes):
        raise TypeError("the matrix cache needs a redis client with decode_responses=False")
    meta = json.loads(fields[b"meta"])
    n = int(meta["n"])
    return TravelMatrix(
        durations_s=_unpack(durations, n, 1000.0),
        distances_m=_unpack(fields[b"distances_dm"], n, 10.0),
        snap_distance_m=np.asarray(meta["snap_distance_m"], dtype=np.float64),
        snapped=np.asarray(meta["snapped"], dtype=np.float64).reshape(n, 2),
        unreachable=[(int(a), int(b)) for a, b in meta["unreachable"]],
        graph_version=graph_version,
    )
