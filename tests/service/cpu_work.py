"""CPU-bound work for the process-pool tests (importable by spawned children)."""

import os
import time


def spin(seconds: float) -> dict[str, float]:
    """Hold a CPU (and, in-process, the GIL) for `seconds`; say where and when it ran."""
    started = time.time()
    total = 0
    while time.time() - started < seconds:
        total += sum(range(1000))
    return {"pid": os.getpid(), "started": started, "finished": time.time()}
