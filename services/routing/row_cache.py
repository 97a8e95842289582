"""Recent shortest-path rows from one junction, kept in memory (least recently used out).

A carpool query asks for the same few points twice (its landmark bounds, then its rides), and a
person's next query or an SMS from the same village asks them again: one Dijkstra row per junction
and direction is enough. Rows belong to one graph (one `Router`), so a new graph starts empty.
Bounded in bytes, so a big graph keeps fewer rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ROW_CACHE_BYTES = 64 * 2**20
# Larger batches (an N×N matrix) are computed at once and not kept: they would only evict.
MAX_CACHED_BATCH = 64


class RowCache:
    def __init__(self, row_length: int, max_bytes: int = ROW_CACHE_BYTES) -> None:
        self.row_length = row_length
        self.max_rows = max(1, max_bytes // max(1, row_length * 8))
        self._rows: OrderedDict[tuple[bool, int], FloatArray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._rows.clear()

    def rows(
        self, indices: IntArray, reverse: bool, compute: Callable[[IntArray], FloatArray]
    ) -> FloatArray:
        """`compute(indices)` (one row per index), from memory where known."""
        if len(indices) > MAX_CACHED_BATCH or len(indices) > self.max_rows:
            return compute(indices)
        wanted = [int(i) for i in indices]
        missing = [i for i in dict.fromkeys(wanted) if (reverse, i) not in self._rows]
        self.hits += len(wanted) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = compute(np.array(missing, dtype=np.int64))
            for i, row in zip(missing, fresh, strict=True):
                row.flags.writeable = False
                self._rows[(reverse, i)] = row
        out = np.empty((len(wanted), self.row_length))
        for k, i in enumerate(wanted):
            self._rows.move_to_end((reverse, i))
            out[k] = self._rows[(reverse, i)]
        while len(self._rows) > self.max_rows:
            self._rows.popitem(last=False)
        return out
