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
from collections import OrderedDict
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


class MatrixCache:
    """Two levels: recent matrices in this process (an LRU bounded in cells), then Redis.

    A repeated request from the same dispatcher screen hits the first level and costs a dict
    lookup; another routing instance, or this one after a restart, still finds it in Redis.
    """

    def __init__(self, client: Any, max_cells: int = 4_000_000) -> None:
        self.client = client
        self.max_cells = max_cells
        self._recent: OrderedDict[tuple[str, str], TravelMatrix] = OrderedDict()
        self._cells = 0

    def get(self, graph_version: str, points_key: str) -> TravelMatrix | None:
        key = (graph_version, points_key)
        found = self._recent.get(key)
        if found is not None:
            self._recent.move_to_end(key)
            return found
        found = get_matrix(self.client, graph_version, points_key)
        if found is not None:
            self._remember(key, found)
        return found

    def put(self, points_key: str, matrix: TravelMatrix) -> None:
        put_matrix(self.client, points_key, matrix)
        self._remember((matrix.graph_version, points_key), matrix)

    def _remember(self, key: tuple[str, str], matrix: TravelMatrix) -> None:
        cells = matrix.durations_s.size
        if cells > self.max_cells or key in self._recent:
            return
        self._recent[key] = matrix
        self._cells += cells
        while self._cells > self.max_cells:
            _, evicted = self._recent.popitem(last=False)
            self._cells -= evicted.durations_s.size
