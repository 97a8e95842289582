"""nameko service tests on the real RabbitMQ (one throw-away vhost per test) and Redis.

nameko's pytest plugin no longer monkey-patches; the containers need it, so it is done here,
before anything else imports socket or threading. This folder runs in its own pytest process
(see the Makefile) so that the rest of the suite stays unpatched, like the gateway in production.
"""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from tests.conftest import REDIS_URL, require_component  # noqa: E402
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port  # noqa: E402

# Two checkouts testing side by side on one Redis each set their own database.
SERVICE_REDIS_DB = os.environ.get("BOCAGE_TEST_SERVICE_REDIS_DB", "2")


@pytest.fixture
def sandbox() -> Iterator[SandboxProcess]:
    """The Twilio sandbox, fresh for the test, posting no status callbacks of its own (a test
    module that needs another one defines its own `sandbox`)."""
    process = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"}).start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _components_running() -> None:
    require_component("RabbitMQ", "amqp://127.0.0.1:5672", 5672)
    require_component("Redis", REDIS_URL, 6379)


@pytest.fixture
def service_config(rabbit_config: dict[str, str]) -> dict[str, object]:
    """A nameko config on the test's own vhost, with quick dead-lettering.

    Redis database 2: the alerts engine scans a deployment-wide list of campaigns to send, and
    services from another test run on database 0 must not pick up this one's work.
    """
    return {
        **rabbit_config,
        "REDIS_URL": REDIS_URL.rsplit("/", 1)[0] + "/" + SERVICE_REDIS_DB,
        "DEAD_LETTER_MAX_ATTEMPTS": 3,
        "DEAD_LETTER_BACKOFF_S": 0.05,
        "serializer": "json",
        # The sandbox's development credentials; tests that send start a sandbox and add its URL.
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": "http://127.0.0.1:9",
    }
