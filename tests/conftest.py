"""Fixtures shared by every test layer: the real components, checked before use.

A test that needs RabbitMQ, Redis or the OSM data fails with a message saying what to start or
provide; nothing is skipped silently.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("BOCAGE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

START_HINTS = {
    "RabbitMQ": "rabbitmq-server -detached && rabbitmq-plugins enable rabbitmq_management",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


# make test runs a failed test once more (Makefile RETRY). Its first failure is printed here in
# full, and the rerun summary lists it: a flaky test is seen and mended, never hidden.
_configs: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    _configs.append(config)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.outcome != "rerun" or not _configs:
        return
    terminal = _configs[-1].pluginmanager.get_plugin("terminalreporter")
    if terminal is None:
        return
    terminal.write_line("")
    what = f"{report.nodeid} ({report.when})"
    terminal.write_sep("!", f"FAILED ONCE, run again (flaky if it passes): {what}")
    terminal.write_line(str(report.longrepr))
    for section, content in report.sections:
        terminal.write_sep("-", section)
        terminal.write_line(content[-6000:])


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def require_component(name: str, url: str, default_port: int) -> None:
    if not _reachable(url, default_port):
        pytest.fail(f"{name} is not reachable at {url}. Start it with: {START_HINTS[name]}")


@pytest.fixture(scope="session")
def amqp_uri() -> str:
    require_component("RabbitMQ", AMQP_URI, 5672)
    return AMQP_URI


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_component("Redis", REDIS_URL, 6379)
    return REDIS_URL


@pytest.fixture
def tenant() -> str:
    """A tenant slug unique to the test, so tests never see each other's data."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"the reference data folder {SHARED_DATA} is missing: put the project's shared/ folder "
            "beside the repository, or set BOCAGE_SHARED_DATA to where it is"
        )
    return SHARED_DATA


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def kempen_drive_artefact(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Kempen drive graph (real OSM data), built once per session."""
    from services.routing import graph as builder

    graph = builder.build_from_osm_file(shared_data / "osm" / "flanders-kempen-2013_drive.osm")
    return builder.write_artefact(graph, tmp_path_factory.mktemp("graph"), "kempen-drive")


# A few real addresses in the Kempen extract (Zoersel, Malle, Pulle...), [lat, lon].
KEMPEN_POINTS = [
    [51.2667, 4.7125],
    [51.2983, 4.7331],
    [51.2260, 4.7720],
    [51.2480, 4.8420],
    [51.2860, 4.8020],
]
