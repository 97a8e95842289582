"""The compose stack comes up healthy (needs a Docker engine: `make test-docker`)."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.docker


def _docker_engine_running() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def docker_compose_file(pytestconfig: Any) -> str:
    return str(Path(pytestconfig.rootpath) / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    if not _docker_engine_running():
        pytest.fail(
            "no Docker engine answers `docker info`: start Docker to run the compose test "
            "(every other test runs on the local RabbitMQ and Redis)"
        )
    return ["up --build -d"]


def _health(url: str) -> tuple[int, dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return None


def test_compose_stack_reports_healthy(docker_ip: str, docker_services: Any) -> None:
    url = f"http://{docker_ip}:{docker_services.port_for('gateway', 8000)}/health"
    docker_services.wait_until_responsive(
        timeout=300, pause=3, check=lambda: (_health(url) or (0, {}))[0] == 200
    )
    status, body = _health(url) or (0, {})
    assert status == 200
    assert body["services"] == {"routing": "ok", "carpool": "ok", "alerts": "ok"}
