"""Gateway tests on the real Redis and RabbitMQ.

Each test's gateway talks to its own throw-away RabbitMQ vhost, so the services other people run
on the same broker never answer our pings, and "no services running" means just that. The three
services run once per session (`nameko run` in a subprocess) on a vhost of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import numpy as np
import pika
import pytest
import redis
import uvicorn
from fastapi.testclient import TestClient

from contracts.gateway import TenantUpdate
from contracts.users import Commune, Role, UserCreate
from services.gateway.app import create_app
from services.gateway.auth import create_user
from services.gateway.settings import SERVICES, GatewaySettings
from services.gateway.users import UserStore
from services.routing.artefact import load_graph
from tests.conftest import REPO_ROOT
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port

PASSWORD = "a long enough password"
COMMUNES = (Commune(code="59350", name="Lille"), Commune(code="59009", name="Villeneuve-d'Ascq"))
MANAGEMENT_HINT = "rabbitmq-plugins enable rabbitmq_management"


def _management(amqp_uri: str) -> tuple[str, tuple[str, str]]:
    parts = urlsplit(amqp_uri)
    url = os.environ.get("RABBIT_MANAGEMENT_URL", f"http://{parts.hostname}:15672")
    return url.rstrip("/") + "/api", (parts.username or "guest", parts.password or "guest")


class Vhosts:
    """Creates RabbitMQ vhosts through the management API and deletes them afterwards."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self.api, self.auth = _management(amqp_uri)
        self.created: list[str] = []

    def _call(self, method: str, path: str, json: object = None) -> None:
        try:
            response = httpx.request(
                method, f"{self.api}{path}", json=json, auth=self.auth, timeout=10
            )
        except httpx.HTTPError as error:
            pytest.fail(
                f"the RabbitMQ management API at {self.api} did not answer ({error}): "
                f"run `{MANAGEMENT_HINT}`"
            )
        if response.status_code >= 300:
            pytest.fail(
                f"RabbitMQ management {method} {path}: {response.status_code} {response.text}"
            )

    def new(self) -> str:
        """A fresh vhost; returns the AMQP URI that points at it."""
        name = f"bocage-gw-{uuid.uuid4().hex[:10]}"
        user = self.auth[0]
        self._call("PUT", f"/vhosts/{name}")
        everything = {"configure": ".*", "write": ".*", "read": ".*"}
        self._call("PUT", f"/permissions/{name}/{quote(user)}", everything)
        self.created.append(name)
        parts = urlsplit(self.amqp_uri)
        return f"{parts.scheme}://{parts.netloc}/{name}"

    def delete_all(self) -> None:
        for name in self.created:
            httpx.request("DELETE", f"{self.api}/vhosts/{name}", auth=self.auth, timeout=10)
        self.created.clear()


@pytest.fixture(scope="session")
def vhosts(amqp_uri: str) -> Iterator[Vhosts]:
    made = Vhosts(amqp_uri)
    yield made
    made.delete_all()


@pytest.fixture
def empty_amqp_uri(vhosts: Vhosts) -> str:
    """A vhost where no service runs."""
    return vhosts.new()


def consumer_counts(amqp_uri: str) -> dict[str, int]:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    counts = {}
    try:
        for service in SERVICES:
            channel = connection.channel()
            try:
                counts[service] = channel.queue_declare(
                    f"rpc-{service}", passive=True
                ).method.consumer_count
                channel.close()
            except pika.exceptions.ChannelClosedByBroker:
                counts[service] = 0
    finally:
        connection.close()
    return counts


@pytest.fixture(scope="session")
def public_gateway_port() -> int:
    """Where `live_gateway` listens: the provider's callbacks and inbound SMS are sent there."""
    return free_port()


@pytest.fixture(scope="session")
def twilio_sandbox(
    tmp_path_factory: pytest.TempPathFactory, public_gateway_port: int
) -> Iterator[SandboxProcess]:
    """The project's Twilio sandbox, forwarding inbound SMS to the live gateway's webhook."""
    inbound = f"http://127.0.0.1:{public_gateway_port}/webhooks/twilio/inbound"
    sandbox = SandboxProcess(free_port(), env={"SANDBOX_INBOUND_WEBHOOK": inbound})
    sandbox.start(tmp_path_factory.mktemp("sandbox") / "sandbox.log")
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def services_amqp_uri(
    vhosts: Vhosts,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    kempen_drive_artefact: Path,
    shared_data: Path,
    twilio_sandbox: SandboxProcess,
    public_gateway_port: int,
) -> Iterator[str]:
    """routing, alerts and carpool running with `nameko run` on their own vhost.

    alerts needs a provider: the project's Twilio sandbox runs beside them. Its status callbacks
    go to `live_gateway`'s port (refused, and dropped by the sandbox, while none listens).
    """
    uri = vhosts.new()
    logs = tmp_path_factory.mktemp("services")
    sandbox = twilio_sandbox
    log_path = logs / "nameko.log"
    nameko = Path(sys.executable).parent / "nameko"
    env = {
        **os.environ,
        "AMQP_URI": uri,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "INFO",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox.base_url,
        "ALERTS_PUBLIC_BASE_URL": f"http://127.0.0.1:{public_gateway_port}",
        "ALERTS_CAP_SCHEMA": str(shared_data / "cap" / "CAP-v1.2.xsd"),
        # A small Base Adresse Nationale file in its own format (Bailleul, Méteren).
        "ALERTS_ADDRESS_DIR": str(REPO_ROOT / "tests" / "fixtures" / "ban"),
        "ROUTING_GRAPH": str(kempen_drive_artefact),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(nameko), "run", "--config", "infra/nameko.yaml",
             "services.routing.service", "services.alerts.service", "services.carpool.service"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"`nameko run` exited with {process.returncode}:\n"
                    + log_path.read_text(errors="replace")[-3000:]
                )
            if all(count > 0 for count in consumer_counts(uri).values()):
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    "the services did not start consuming within 60 s:\n"
                    + log_path.read_text(errors="replace")[-3000:]
                )
            time.sleep(0.2)
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


def _clean_tenant(client: redis.Redis, tenant: str) -> None:
    # SCAN on the test's own unique prefix (never KEYS), for both the gateway and the services.
    for prefix in ("gateway", "routing", "alerts", "carpool"):
        keys = list(client.scan_iter(f"{prefix}:{tenant}:*", count=500))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def _forget_tenant(redis_conn: redis.Redis, tenant: str) -> Iterator[None]:
    yield
    _clean_tenant(redis_conn, tenant)


@pytest.fixture
def make_client(redis_url: str, tenant: str) -> Iterator[Callable[..., TestClient]]:
    """Builds a TestClient for this test's tenant on the given AMQP URI; closes them after."""
    clients: list[TestClient] = []

    def make(amqp_uri: str, **overrides: object) -> TestClient:
        settings = GatewaySettings.model_validate(
            {"amqp_uri": amqp_uri, "redis_url": redis_url, "tenant": tenant, **overrides}
        )
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def live_gateway(
    services_amqp_uri: str, redis_url: str, tenant: str, public_gateway_port: int
) -> Iterator[str]:
    """A real uvicorn serving this test's tenant on the port the provider calls back; its URL.

    The sandbox signs the URL it POSTs to, and the gateway rebuilds it from its own base URL,
    so both agree on `http://127.0.0.1:<port>`.
    """
    settings = GatewaySettings(amqp_uri=services_amqp_uri, redis_url=redis_url, tenant=tenant)
    # A page's live stream may still be open at teardown: it is closed after 2 s rather than
    # waited for (uvicorn waits for open connections otherwise).
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=public_gateway_port,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"uvicorn did not start on port {public_gateway_port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{public_gateway_port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def store(redis_conn: redis.Redis, tenant: str) -> UserStore:
    users = UserStore(redis_conn, tenant)
    users.set_tenant(TenantUpdate(name="CC de test", communes=COMMUNES))
    return users


@pytest.fixture
def role_users(store: UserStore) -> dict[Role, str]:
    """One user per role; the mayor is bound to Lille. Returns usernames by role."""
    names = {}
    for role in Role:
        communes = ("59350",) if role is Role.MAYOR else ()
        create_user(
            store,
            UserCreate(username=f"{role.value}-1", password=PASSWORD, role=role, communes=communes),
        )
        names[role] = f"{role.value}-1"
    return names


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for a fresh session of `username`."""
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def ok(response: Any, code: int = 200) -> Any:
    """The JSON body of an answer that must have `code`; fails with the body otherwise."""
    assert response.status_code == code, f"{response.status_code} {response.text}"
    return response.json()


def road_points_near(
    artefact: Path, centre: list[float], n: int, span: tuple[float, float], seed: int
) -> list[list[float]]:
    """n road nodes within `span` degrees (lat, lon) of `centre`, the same ones every run."""
    graph = load_graph(artefact)
    near = np.flatnonzero(
        (np.abs(graph.node_lat - centre[0]) < span[0])
        & (np.abs(graph.node_lon - centre[1]) < span[1])
    )
    picked = np.random.default_rng(seed).choice(near, n, replace=False)
    return [[float(graph.node_lat[i]), float(graph.node_lon[i])] for i in picked]
