"""The whole system over HTTP: `bocage up`, /health, one service down, `bocage down`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.runner import is_alive

pytestmark = pytest.mark.e2e

RABBIT_API = "http://127.0.0.1:15672/api"


def _rabbit_api(method: str, path: str, body: dict[str, Any] | None = None) -> None:
    request = urllib.request.Request(
        f"{RABBIT_API}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json", "authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="},
    )
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except OSError as error:
        pytest.fail(
            f"the RabbitMQ management API at {RABBIT_API} did not answer ({error}): "
            "run `rabbitmq-plugins enable rabbitmq_management`"
        )


@pytest.fixture
def vhost(amqp_uri: str) -> Iterator[str]:
    """A vhost of the test's own, so no other running service answers in place of ours."""
    name = f"bocage-e2e-{uuid.uuid4().hex[:8]}"
    _rabbit_api("PUT", f"/vhosts/{name}")
    _rabbit_api(
        "PUT", f"/permissions/{name}/guest", {"configure": ".*", "write": ".*", "read": ".*"}
    )
    yield name
    _rabbit_api("DELETE", f"/vhosts/{name}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bocage(
    env: dict[str, str], *args: str, timeout: float = 150
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _health(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def stack_env(vhost: str, redis_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
        "REDIS_URL": redis_url,
        "BOCAGE_GATEWAY_PORT": str(_free_port()),
        "BOCAGE_SANDBOX_PORT": str(_free_port()),
        "BOCAGE_VAR_DIR": str(tmp_path / "var"),
    }
    yield env
    _bocage(env, "down")  # whatever the test did, leave nothing running


def test_up_health_one_service_down_then_down(stack_env: dict[str, str]) -> None:
    port = int(stack_env["BOCAGE_GATEWAY_PORT"])

    started = _bocage(stack_env, "up")
    assert started.returncode == 0, started.stderr
    assert f"http://127.0.0.1:{port}" in started.stdout
    assert "logs" in started.stdout

    status, body = _health(port)
    assert status == 200
    assert body == {
        "status": "ok",
        "broker": "ok",
        "redis": "ok",
        "services": {"routing": "ok", "carpool": "ok", "alerts": "ok"},
    }
    assert _bocage(stack_env, "status").returncode == 0

    stopped = _bocage(stack_env, "down", "--only", "carpool")
    assert stopped.returncode == 0, stopped.stderr
    # _health gives up after 5 s: a /health that hung on the missing service would fail here.
    status, body = _health(port)
    assert status == 503
    assert body["status"] == "degraded"
    assert body["services"]["carpool"] != "ok"
    assert body["services"]["routing"] == "ok"
    assert _bocage(stack_env, "status").returncode == 1

    pids = json.loads((Path(stack_env["BOCAGE_VAR_DIR"]) / "run" / "bocage.json").read_text())
    finished = _bocage(stack_env, "down")
    assert finished.returncode == 0
    assert [name for name, pid in pids.items() if is_alive(pid)] == []


def test_up_names_an_unreachable_broker_without_a_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/",
        "BOCAGE_VAR_DIR": str(tmp_path / "var"),
    }
    result = _bocage(env, "up", timeout=30)

    assert result.returncode == 2
    assert "RabbitMQ is not reachable at amqp://guest:***@127.0.0.1:1/" in result.stderr
    assert "rabbitmq-server" in result.stderr
    assert "Traceback" not in result.stderr
