"""The compose stack, started once for tests/docker and taken down afterwards.

Images: whatever BOCAGE_BASE_IMAGE, BOCAGE_RABBITMQ_IMAGE, BOCAGE_REDIS_IMAGE and BOCAGE_IMAGE
name (`make test-docker` builds local ones where no registry is reachable), else the official
ones. The project name, the published ports, the tenant and the credentials are the run's own,
so that the stack never meets the host's RabbitMQ and Redis or another run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.docker.compose import Compose
from tests.sandbox_process import free_port

PASSWORD = "a long enough password"
LILLE = "59350"
USERS = {
    "mayor": ("mayor", ["--commune", LILLE]),
    "dispatcher": ("dispatcher", []),
    "driver": ("driver", []),
}


def _engine_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def docker_engine() -> None:
    if shutil.which("docker-compose") is None or not _engine_answers():
        pytest.fail(
            "no Docker engine answers `docker info` (or docker-compose is missing): run "
            "`make test-docker`, which installs and starts them where it can"
        )


@pytest.fixture(scope="session")
def graph_dir(kempen_drive_artefact: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Kempen road graph in a folder the containers' user can read (mounted read-only)."""
    folder = tmp_path_factory.mktemp("compose-graph")
    shutil.copy(kempen_drive_artefact, folder / kempen_drive_artefact.name)
    folder.chmod(0o755)
    for file in folder.iterdir():
        file.chmod(0o644)
    return folder


@pytest.fixture(scope="session")
def compose_env() -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    return {
        **os.environ,
        "BOCAGE_TENANT": f"t-{run}",
        "BOCAGE_GATEWAY_PORT": str(free_port()),
        "BOCAGE_SANDBOX_PORT": str(free_port()),
        "BOCAGE_STATUS_PORT": str(free_port()),
        "BOCAGE_PROFILE": "development",
        # Credentials from the environment: this run's own, not the images' defaults.
        "RABBITMQ_USER": f"bocage-{run}",
        "RABBITMQ_PASSWORD": uuid.uuid4().hex,
    }


@pytest.fixture(scope="session")
def stack(
    docker_engine: None, compose_env: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[Compose]:
    compose = Compose(f"bocage-test-{uuid.uuid4().hex[:8]}", REPO_ROOT, compose_env)
    try:
        # RabbitMQ, Redis and the sandbox start while the road graph is built on the host.
        early = compose.start("up", "-d", "rabbitmq", "redis", "twilio-sandbox")
        compose_env["BOCAGE_GRAPH_DIR"] = str(request.getfixturevalue("graph_dir"))
        compose.finish(early)
        compose.run("up", "-d", timeout=900)
        parts = ["rabbitmq", "redis", "twilio-sandbox", "routing", "carpool", "alerts"]
        compose.wait_healthy([*parts, "alerts-status", "gateway"])
        # The tenant and one user per role, in one call (each `exec` costs seconds).
        script = f"bocage tenant set --name 'CC test' --commune {LILLE}=Lille"
        for username, (role, extra) in USERS.items():
            script += (
                f" && printf '%s\\n' \"$PASSWORD\" | bocage users add {username} --role {role} "
                f"{' '.join(extra)} --password-stdin"
            )
        compose.run("exec", "-T", "-e", f"PASSWORD={PASSWORD}", "gateway", "sh", "-c", script)
        yield compose
    finally:
        compose.run("down", "-v", "--remove-orphans", timeout=300, check=False)


@pytest.fixture(scope="session")
def gateway(stack: Compose, compose_env: dict[str, str]) -> Iterator[httpx.Client]:
    url = f"http://127.0.0.1:{compose_env['BOCAGE_GATEWAY_PORT']}"
    with httpx.Client(base_url=url, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def sandbox(stack: Compose, compose_env: dict[str, str]) -> Iterator[httpx.Client]:
    url = f"http://127.0.0.1:{compose_env['BOCAGE_SANDBOX_PORT']}"
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client


def login(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
