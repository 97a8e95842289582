"""What schemathesis found in the API, each pinned by the smallest test that shows it."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.gateway import DeliveryFailureSubmission
from contracts.lax_input import IsoDate
from contracts.rounds import FillReading, MealRoundRequest, VehicleIn
from services.alerts.contacts_csv import CommuneDirectory, CsvError, read_contacts
from services.gateway.allow_header import allowed_methods, path_methods

pytestmark = pytest.mark.unit

READING = {"reading_id": "r-1", "container_id": "c-1", "at": "2026-11-30T08:00:00+01:00"}
VEHICLE = {"id": "v-1", "capacity": 20, "shift_start": "08:00", "shift_end": "12:00"}


def test_a_boolean_is_not_a_number() -> None:
    with pytest.raises(ValidationError, match="level_pct: expected a number, not true or false"):
        FillReading.model_validate({**READING, "level_pct": False})
    assert FillReading.model_validate({**READING, "level_pct": 40}).level_pct == 40.0


def test_a_boolean_inside_a_coordinate_pair_is_not_a_number() -> None:
    request = {
        "date": "2026-12-01",
        "kitchen": [True, 4.7],
        "deliveries": [{"id": "d", "location": [51.2, 4.7], "window_start": "08:00",
                        "window_end": "12:00"}],
        "vehicles": [VEHICLE],
    }  # fmt: skip
    with pytest.raises(ValidationError, match="kitchen: expected a number"):
        MealRoundRequest.model_validate(request)


@pytest.mark.parametrize("value", [0, "0", 1e9, "1700000000"])
def test_a_number_is_not_a_date(value: object) -> None:
    with pytest.raises(ValidationError, match="expected an ISO 8601 date"):
        FillReading.model_validate({**READING, "at": value, "level_pct": 1})
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        TypeAdapter(IsoDate).validate_python(value)
    assert str(TypeAdapter(IsoDate).validate_python("2026-12-01")) == "2026-12-01"


def test_a_number_is_not_an_aware_datetime_either() -> None:
    report = {"commune": "59350", "recipient_name": "Mme Roux", "reason": "other"}
    with pytest.raises(ValidationError, match="attempted_at: expected an ISO 8601 date"):
        DeliveryFailureSubmission.model_validate({**report, "attempted_at": 0})


@pytest.mark.parametrize(("field", "value"), [("capacity", 1e300), ("capacity", 1_000_001)])
def test_a_vehicle_capacity_is_bounded(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match="less than or equal to 1000000"):
        VehicleIn.model_validate({**VEHICLE, field: value})


def test_the_ride_limit_is_at_most_a_day() -> None:
    request = {
        "date": "2026-12-01",
        "kitchen": [51.2, 4.7],
        "deliveries": [{"id": "d", "location": [51.2, 4.7], "window_start": "08:00",
                        "window_end": "12:00"}],
        "vehicles": [VEHICLE],
        "max_ride_minutes": 1e300,
    }  # fmt: skip
    with pytest.raises(ValidationError, match="less than or equal to 1440"):
        MealRoundRequest.model_validate(request)


def test_a_csv_with_a_bare_carriage_return_is_read_or_refused_with_a_reason() -> None:
    communes = CommuneDirectory({"59350": "Lille"})
    lines = [
        "nom;prénom;téléphone;commune;consentement",
        "Martin;Jeanne;06 12 34 56 78;Lille;01/01/2025",
    ]
    data = "\r".join([*lines, ""]).encode()
    contacts, report = read_contacts(data, communes)
    assert report.imported == 1 and contacts[0].full_name.startswith("Jeanne")
    with pytest.raises(CsvError, match="no phone column"):
        read_contacts(b'\x89PNG\r\n\x1a\n\x00\x00\r\x00IHDR"\r\x00', communes)


def test_allow_lists_every_method_of_the_most_literal_matching_path() -> None:
    table = path_methods(
        {
            "/campaigns": {"get": {}, "post": {}},
            "/campaigns/preview": {"post": {}},
            "/campaigns/{campaign_id}": {"get": {}},
            "/contacts/import": {"post": {}},
            "/contacts/{contact_id}": {"delete": {}},
        }
    )
    assert allowed_methods(table, "/campaigns") == ["GET", "HEAD", "POST"]
    assert allowed_methods(table, "/campaigns/preview") == ["POST"]
    assert allowed_methods(table, "/campaigns/cmp-1") == ["GET", "HEAD"]
    assert allowed_methods(table, "/contacts/import") == ["POST"]
    assert allowed_methods(table, "/nowhere") == []
