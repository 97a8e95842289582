from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from contracts import DeliveryFailureReport, Envelope, UserCreate
from contracts.export import all_models, export_schemas
from infra.cli import main

pytestmark = pytest.mark.unit


def _report() -> DeliveryFailureReport:
    return DeliveryFailureReport(
        delivery_id="d-1",
        commune="59350",
        recipient_name="M. Martin",
        reason="no_answer",
        attempted_at=datetime(2026, 11, 23, 12, 5, tzinfo=UTC),
    )


def test_envelope_carries_identity_time_and_tenant() -> None:
    envelope = Envelope.wrap(_report(), tenant="ccflandre", correlation_id="req-1")

    assert len(envelope.event_id) == 36
    assert envelope.occurred_at.tzinfo is not None
    assert envelope.schema_version == 1
    assert envelope.payload["delivery_id"] == "d-1"
    assert envelope.correlation_id == "req-1"


def test_envelope_time_is_normalised_to_utc() -> None:
    paris_winter = timezone(timedelta(hours=1))
    envelope = Envelope(
        tenant="t1", payload={}, occurred_at=datetime(2026, 1, 5, 9, 0, tzinfo=paris_winter)
    )
    assert envelope.occurred_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert envelope.occurred_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Envelope(tenant="t1", payload={}, occurred_at=datetime(2026, 1, 5, 9, 0))


def test_contracts_are_frozen_and_refuse_unknown_fields() -> None:
    report = _report()
    with pytest.raises(ValidationError):
        report.reason = "refused"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        DeliveryFailureReport(**report.model_dump(), colour="blue")


def test_user_creation_refuses_a_short_password_and_bad_username() -> None:
    with pytest.raises(ValidationError) as raised:
        UserCreate(username="Bad Name!", password="short", role="mayor")
    fields = {issue["loc"][0] for issue in raised.value.errors()}
    assert fields == {"username", "password"}


def test_export_writes_a_json_schema_per_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert main(["contracts", "export", str(tmp_path)]) == 0

    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{name}.schema.json" for name in all_models())
    schema = json.loads((tmp_path / "DeliveryFailureReport.schema.json").read_text())
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"delivery_id", "commune", "reason", "attempted_at"}
    assert export_schemas(tmp_path)  # rewriting over an existing export works
