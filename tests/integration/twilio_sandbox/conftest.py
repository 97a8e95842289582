"""The Twilio sandbox on a free port (uvicorn in a thread), the real twilio SDK pointed at it, and
a tiny HTTP receiver standing for our webhooks (status callbacks, inbound SMS, Gather actions)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import uvicorn
from twilio.rest import Client

from infra.twilio_sandbox import NumberSet, SandboxConfig, create_app
from tests import waiting

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-token-3f9a"
OUR_NUMBER = "+33757000001"
UNDELIVERED = "+33612349999"  # chosen by the `*9999` suffix
LISTED_LANDLINE = "+33611111111"  # a mobile number configured as a landline
BUSY = "+33687000486"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 15.0) -> Any:
    """The sandbox answers in milliseconds: poll it often."""
    return waiting.wait_for(what, probe, timeout, every_s=0.02)


@dataclass
class Hit:
    method: str
    url: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]


@dataclass
class Receiver:
    """Records every request; answers with the body registered for its path (TwiML, say)."""

    base_url: str = ""
    hits: list[Hit] = field(default_factory=list)
    replies: dict[str, tuple[int, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base_url + path

    def at(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def clear(self) -> None:
        with self.lock:
            self.hits.clear()
            self.replies.clear()


def _start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            params = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
            hit = Hit("POST", receiver.url(self.path), self.path, dict(self.headers), params)
            with receiver.lock:
                receiver.hits.append(hit)
                status, reply = receiver.replies.get(self.path, (200, ""))
            data = reply.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml" if reply else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    receiver.base_url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@dataclass
class Sandbox:
    url: str
    config: SandboxConfig

    def client(self, auth_token: str | None = None) -> Client:
        client = Client(self.config.account_sid, auth_token or self.config.auth_token)
        client.api.base_url = self.url
        return client

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30)

    def post(self, path: str, **form: str) -> httpx.Response:
        return httpx.post(self.url + path, data=form, timeout=60)

    def phone(self, number: str) -> dict[str, Any]:
        response = self.get(f"/sandbox/phones/{number}")
        response.raise_for_status()
        view: dict[str, Any] = response.json()
        return view


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    receiver, server = _start_receiver()
    yield receiver
    server.shutdown()


def run_sandbox(config: SandboxConfig) -> tuple[Sandbox, Callable[[], None]]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for("the sandbox to start", lambda: server.started or not thread.is_alive())
    if not server.started:
        pytest.fail("the sandbox did not start (see the log above)")

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return Sandbox(f"http://127.0.0.1:{port}", config), stop


def sandbox_config(receiver: Receiver, **overrides: Any) -> SandboxConfig:
    settings: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "number": OUR_NUMBER,
        "inbound_webhook": receiver.url("/inbound"),
        "undelivered": NumberSet.parse("*9999"),
        "landlines": NumberSet.of([LISTED_LANDLINE]),
        "call_busy": NumberSet.of([BUSY]),
        "callback_workers": 4,
        "callback_retries": 1,
        "gather_wait": 20.0,
    }
    settings.update(overrides)
    return SandboxConfig(**settings)


@pytest.fixture(scope="session")
def sandbox_server(receiver: Receiver) -> Iterator[Sandbox]:
    sandbox, stop = run_sandbox(sandbox_config(receiver))
    yield sandbox
    stop()


@pytest.fixture
def sandbox(sandbox_server: Sandbox, receiver: Receiver) -> Sandbox:
    """The shared sandbox, emptied of every other test's messages, calls, opt-outs, requests."""
    sandbox_server.post("/sandbox/reset").raise_for_status()
    receiver.clear()
    return sandbox_server


@pytest.fixture
def client(sandbox: Sandbox) -> Client:
    return sandbox.client()
