"""The alerts store on the real Redis, in a deployment of its own (its shared keys are the
test's alone), cleaned after each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from services.alerts.store import AlertsStore
from services.common.settings import Settings
from tests.sandbox_process import SandboxProcess, free_port


@pytest.fixture
def store(redis_url: str, tenant: str) -> Iterator[AlertsStore]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    # A deployment of its own: jobs such as the retention walk every tenant of their deployment.
    deployment = f"alerts-it-{uuid.uuid4().hex[:8]}"
    settings = Settings(AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/{deployment}")
    yield AlertsStore(client, settings)
    for pattern in (f"alerts:{tenant}:*", f"alerts:_:{deployment}:*"):
        keys = list(client.scan_iter(pattern, count=500))
        if keys:
            client.delete(*keys)
    client.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    """The Twilio sandbox for the module's tests, posting no status callbacks of its own."""
    process = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"}).start()
    yield process
    process.stop()
