"""A long CPU-bound job in the process pool leaves the service responsive."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy

from services.common.process_pool import ProcessPool
from tests.service.cpu_work import spin

pytestmark = pytest.mark.service


class Cruncher:
    name = "cruncher"
    pool = ProcessPool(max_workers=1)

    @rpc
    def crunch(self, seconds: float, started_flag: str = "") -> dict[str, float]:
        return self.pool.run(spin, seconds, started_flag)

    @rpc
    def ping(self) -> dict[str, float]:
        return {"answered": time.time(), "pid": os.getpid()}


def test_rpc_answers_while_a_solve_runs_in_a_child_process(
    container_factory: Any, service_config: dict[str, Any], tmp_path: Path
) -> None:
    container = container_factory(Cruncher, service_config)
    container.start()
    flag = tmp_path / "started"

    with ServiceRpcProxy("cruncher", service_config) as proxy:
        # Long enough for a ping on a busy machine; the ping waits for the job to have begun.
        pending = proxy.crunch.call_async(8.0, str(flag))
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert time.monotonic() < deadline, "the job never started in its child process"
            time.sleep(0.05)
        pong = proxy.ping()
        job = pending.result()

    assert job["pid"] != pong["pid"], "the job must not run in the service's own process"
    # The service answered while the job was still running: it was not frozen by it.
    assert job["started"] < pong["answered"] < job["finished"]


def test_stopping_the_service_shuts_the_pool_down(
    container_factory: Any, service_config: dict[str, Any]
) -> None:
    container = container_factory(Cruncher, service_config)
    container.start()
    with ServiceRpcProxy("cruncher", service_config) as proxy:
        proxy.crunch(0.1)
    provider = next(d for d in container.dependencies if isinstance(d, ProcessPool))
    children = list(provider.executor._processes.values())

    container.stop()

    assert provider.executor is None
    for child in children:
        child.join(timeout=10)
        assert not child.is_alive()
