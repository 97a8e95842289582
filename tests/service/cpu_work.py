"""CPU-bound work for the process-pool tests (importable by spawned children)."""

import os
import time


def spin(seconds: float, started_flag: str = "") -> dict[str, float]:
    """Hold a CPU (and, in-process, the GIL) for `seconds`; say where and when it ran.
    `started_flag`: a file created once the work has begun, for a test to wait on."""
    started = time.time()
    if started_flag:
        with open(started_flag, "w") as flag:
            flag.write(str(os.getpid()))
    total = 0
    while time.time() - started < seconds:
        total += sum(range(1000))
    return {"pid": os.getpid(), "started": started, "finished": time.time()}
