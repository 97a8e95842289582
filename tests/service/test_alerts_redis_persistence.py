"""alerts on a Redis that would forget what was sent: it says so at start, in its log, with the
fix; on a Redis with the append-only file (as compose runs it) it says nothing.

Each Redis here is the test's own (a free port, a temporary folder): the shared one is never
reconfigured.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from nameko.standalone.rpc import ServiceRpcProxy

from services.alerts.service import AlertsService
from tests.sandbox_process import free_port

pytestmark = pytest.mark.service

PERSISTENCE = {
    "none": ["--appendonly", "no", "--save", ""],
    "rdb": ["--appendonly", "no", "--save", "3600 1"],
    "aof": ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
}


@pytest.fixture
def own_redis(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
         *PERSISTENCE[request.param]],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise AssertionError("redis-server did not start (is it installed?)") from None
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def _start_and_read_warnings(
    container_factory: Any, config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> list[str]:
    with caplog.at_level(logging.WARNING, logger="services.alerts.dependencies"):
        container = container_factory(AlertsService, config)
        container.start()
        with ServiceRpcProxy("alerts", config, timeout=10) as alerts:
            assert alerts.ping()["redis"] == "ok"  # it still runs: the warning does not stop it
    return [r.getMessage() for r in caplog.records if r.name == "services.alerts.dependencies"]


@pytest.mark.parametrize("own_redis", ["none"], indirect=True)
def test_without_persistence_alerts_warns_at_start_with_the_fix(
    container_factory: Any,
    service_config: dict[str, Any],
    own_redis: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    warnings = _start_and_read_warnings(
        container_factory, {**service_config, "REDIS_URL": own_redis}, caplog
    )
    (warning,) = [w for w in warnings if "persistence" in w]
    assert "a Redis restart loses every contact, campaign and the record of what was sent" in (
        warning
    )
    assert "--appendonly yes" in warning


@pytest.mark.parametrize("own_redis", ["rdb"], indirect=True)
def test_with_snapshots_only_alerts_warns_that_minutes_may_be_lost(
    container_factory: Any,
    service_config: dict[str, Any],
    own_redis: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    warnings = _start_and_read_warnings(
        container_factory, {**service_config, "REDIS_URL": own_redis}, caplog
    )
    assert any("RDB snapshots only" in w for w in warnings), warnings


@pytest.mark.parametrize("own_redis", ["aof"], indirect=True)
def test_with_the_append_only_file_alerts_says_nothing(
    container_factory: Any,
    service_config: dict[str, Any],
    own_redis: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    warnings = _start_and_read_warnings(
        container_factory, {**service_config, "REDIS_URL": own_redis}, caplog
    )
    assert not [w for w in warnings if "Redis at" in w], warnings
