"""The containers' preflight: in the production profile, nothing starts that would send nothing
real (sandbox credentials, a stand-in base URL, the sandbox itself); elsewhere everything starts."""

from __future__ import annotations

import pytest

from infra.preflight import refusal
from infra.twilio_sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

pytestmark = pytest.mark.unit

ALERTS = ["python", "-m", "nameko", "run", "services.alerts.service:AlertsService"]
SANDBOX = ["python", "-m", "infra.twilio_sandbox", "--port", "8099"]
REAL = {
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "a-real-token",
    "AMQP_URI": "amqp://bocage:s3cret@rabbitmq:5672/",
}


def test_outside_production_anything_starts_even_the_sandbox() -> None:
    assert refusal({}, SANDBOX) is None
    assert refusal({"BOCAGE_PROFILE": "development"}, ALERTS) is None


def test_production_starts_with_real_credentials() -> None:
    assert refusal({"BOCAGE_PROFILE": "production", **REAL, "TWILIO_BASE_URL": ""}, ALERTS) is None


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({}, "must hold the real account's credentials"),
        ({"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID}, "sandbox's development credentials"),
        ({"TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}, "sandbox's development credentials"),
        ({"TWILIO_BASE_URL": "http://twilio-sandbox:8099"}, "TWILIO_BASE_URL is set"),
        ({"AMQP_URI": "amqp://guest:guest@rabbitmq:5672/"}, "RabbitMQ's password is guest"),
    ],
)
def test_production_refuses_what_would_send_nothing_real(
    settings: dict[str, str], said: str
) -> None:
    environ = {"BOCAGE_PROFILE": "Production", **(REAL if settings else {}), **settings}
    reason = refusal(environ, ALERTS)
    assert reason is not None and said in reason


def test_production_refuses_to_run_the_sandbox() -> None:
    reason = refusal({"BOCAGE_PROFILE": "production", **REAL}, SANDBOX)
    assert reason is not None and "sandbox does not run" in reason
