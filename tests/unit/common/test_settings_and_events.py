from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts import DeliveryFailureReport
from services.common.events import InvalidMessage, make_message, open_message
from services.common.settings import DEFAULT_REDIS_URL, SettingsError, load_settings

pytestmark = pytest.mark.unit


def test_defaults_point_at_the_local_broker_and_cache() -> None:
    settings = load_settings({}, environ={})
    assert settings.amqp_uri.startswith("amqp://")
    assert settings.redis_url == DEFAULT_REDIS_URL


def test_config_wins_over_environment() -> None:
    settings = load_settings(
        {"REDIS_URL": "redis://cache:6379/2"}, environ={"REDIS_URL": "redis://other:6379/0"}
    )
    assert settings.redis_url == "redis://cache:6379/2"


def test_environment_is_read_when_config_is_silent() -> None:
    settings = load_settings({}, environ={"TENANT": "cc-flandre", "DEAD_LETTER_MAX_ATTEMPTS": "5"})
    assert settings.tenant == "cc-flandre"
    assert settings.dead_letter_max_attempts == 5


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("REDIS_URL", "localhost:6379", "REDIS_URL"),
        ("AMQP_URI", "http://rabbit", "AMQP_URI"),
        ("DEAD_LETTER_MAX_ATTEMPTS", "zero", "DEAD_LETTER_MAX_ATTEMPTS"),
        ("TENANT", "Not A Slug", "TENANT"),
    ],
)
def test_a_bad_value_is_named_in_the_error(name: str, value: str, complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        load_settings({name: value}, environ={})


def test_message_round_trip() -> None:
    report = DeliveryFailureReport(
        delivery_id="d-9",
        commune="59350",
        recipient_name="Mme Roux",
        reason="refused",
        attempted_at=datetime(2026, 11, 23, 11, 0, tzinfo=UTC),
    )
    body = make_message(report, tenant="t1", correlation_id="c-1")

    envelope, opened = open_message(body, DeliveryFailureReport)

    assert opened == report
    assert envelope.tenant == "t1"
    assert envelope.correlation_id == "c-1"


def test_opening_a_bad_message_says_which_field() -> None:
    with pytest.raises(InvalidMessage, match="tenant"):
        open_message({"payload": {}}, DeliveryFailureReport)
    with pytest.raises(InvalidMessage, match="reason"):
        open_message(
            {"tenant": "t1", "payload": {"delivery_id": "d", "reason": "x"}},
            DeliveryFailureReport,
        )
