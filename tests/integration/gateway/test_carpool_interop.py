"""The interoperability search routes checked against the standard's own OpenAPI description
(`../shared/data/carpool/standard-covoiturage_openapi.yaml`): the same parameters, and answers
(journeys and errors) that validate against its schemas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema_rs
import pytest
import yaml
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.users import UserStore
from tests.integration.gateway.conftest import PASSWORD, login

pytestmark = pytest.mark.integration

PATHS = ("/driver_journeys", "/passenger_journeys")
DAY = dt.date.today() + dt.timedelta(days=4)


def inline(node: Any, document: dict[str, Any]) -> Any:
    """The schema with every `$ref` replaced by what it points to (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return inline(target, document)
        return {key: inline(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [inline(item, document) for item in node]
    return node


@pytest.fixture(scope="module")
def standard(shared_data: Path) -> dict[str, Any]:
    path = shared_data / "carpool" / "standard-covoiturage_openapi.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def response_schema(standard: dict[str, Any], path: str, code: str) -> Any:
    operation = standard["paths"][path]["get"]
    responses = operation["responses"]
    answer = inline(responses.get(code, responses.get(int(code))), standard)
    return answer["content"]["application/json"]["schema"]


def at(clock: str) -> int:
    hours, minutes = map(int, clock.split(":"))
    local = dt.datetime.combine(DAY, dt.time(hours, minutes), tzinfo=ZoneInfo("Europe/Paris"))
    return int(local.timestamp())


def test_our_parameters_are_the_standard_s(
    make_client: Callable[..., TestClient], empty_amqp_uri: str, standard: dict[str, Any]
) -> None:
    ours = make_client(empty_amqp_uri).get("/openapi.json").json()
    for path in PATHS:
        theirs = {
            p["name"]: p.get("required", False)
            for p in inline(standard["paths"][path]["get"]["parameters"], standard)
        }
        mine = {
            p["name"]: p.get("required", False) for p in ours["paths"][path]["get"]["parameters"]
        }
        assert mine == theirs, path


@pytest.fixture
def partner(
    make_client: Callable[..., TestClient], services_amqp_uri: str, store: UserStore
) -> tuple[TestClient, dict[str, str], dict[str, str]]:
    for name in ("jan", "marie"):
        create_user(store, UserCreate(username=name, password=PASSWORD, role=Role.RESIDENT))
    create_user(store, UserCreate(username="planner", password=PASSWORD, role=Role.PARTNER))
    client = make_client(services_amqp_uri)
    return client, login(client, "jan"), login(client, "marie")


def test_driver_and_passenger_journeys_validate_against_the_standard(
    partner: tuple[TestClient, dict[str, str], dict[str, str]], standard: dict[str, Any]
) -> None:
    client, jan, marie = partner
    ride = {
        "origin": [51.2667, 4.7125], "destination": [51.2480, 4.8420], "date": DAY.isoformat(),
        "depart_earliest": "08:00", "depart_latest": "08:30", "seats": 3, "first_name": "Jan",
        "origin_label": "Zoersel", "destination_label": "Pulle",
    }  # fmt: skip
    offer = client.post("/carpool/offers", json=ride, headers=jan).json()
    asked = {
        "origin": [51.24495, 4.70175], "destination": [51.25205, 4.81548],
        "date": DAY.isoformat(), "depart_after": "08:00", "depart_before": "08:40",
        "first_name": "Marie",
    }  # fmt: skip
    request = client.post("/carpool/requests", json=asked, headers=marie).json()["request"]

    query = {
        "departureLat": 51.24495, "departureLng": 4.70175, "arrivalLat": 51.25205,
        "arrivalLng": 4.81548, "departureDate": at("08:15"), "timeDelta": 1800,
    }  # fmt: skip
    drivers = client.get("/driver_journeys", params=query, headers=marie)
    assert drivers.status_code == 200, drivers.text
    # A regional journey planner's account (role partner) finds the same journeys.
    planner = login(client, "planner")
    assert client.get("/driver_journeys", params=query, headers=planner).json() == drivers.json()
    # ... and nothing else: not our people's rides, requests or territory.
    for method, path in (("POST", "/carpool/offers"), ("POST", "/carpool/requests"),
                         ("GET", "/carpool/me"), ("GET", f"/carpool/offers/{offer['offer_id']}"),
                         ("GET", "/tenant"), ("GET", "/carpool/places")):  # fmt: skip
        refused = client.request(method, path, json=ride, headers=planner)
        assert refused.status_code == 403 and "a partner may not" in refused.text, path
    jsonschema_rs.validate(response_schema(standard, "/driver_journeys", "200"), drivers.json())
    (journey,) = drivers.json()
    assert journey["id"] == f"{offer['offer_id']}@{DAY.isoformat()}"
    assert journey["driver"]["alias"] == "Jan" and journey["availableSeats"] >= 1
    assert "jan" not in str(journey["driver"]["id"])  # people's ids stay ours

    passengers = client.get("/passenger_journeys", params=query, headers=jan)
    assert passengers.status_code == 200, passengers.text
    schema = response_schema(standard, "/passenger_journeys", "200")
    jsonschema_rs.validate(schema, passengers.json())
    assert [p["id"] for p in passengers.json()] == [request["request_id"]]

    later = client.get(
        "/driver_journeys", params={**query, "departureDate": at("14:00")}, headers=marie
    )
    assert later.status_code == 200 and later.json() == []


def test_bad_parameters_answer_the_standard_s_bad_request(
    partner: tuple[TestClient, dict[str, str], dict[str, str]], standard: dict[str, Any]
) -> None:
    client, _, marie = partner
    schema = response_schema(standard, "/driver_journeys", "400")
    query = {"departureLat": "north", "departureLng": 4.7, "arrivalLat": 51.2,
             "arrivalLng": 4.8, "departureDate": at("08:00")}  # fmt: skip
    for path in PATHS:
        bad = client.get(path, params=query, headers=marie)
        assert bad.status_code == 400 and "departureLat" in bad.json()["error"]
        jsonschema_rs.validate(schema, bad.json())
        missing = {k: v for k, v in query.items() if k != "departureDate"} | {"departureLat": 51}
        assert "departureDate" in client.get(path, params=missing, headers=marie).json()["error"]
        assert client.get(path, params=query).status_code == 401


def test_a_date_past_2100_is_the_standard_s_bad_request_not_a_failure(
    partner: tuple[TestClient, dict[str, str], dict[str, str]], standard: dict[str, Any]
) -> None:
    # Found by schemathesis: departureDate=49294203325 made the carpool service fail (502).
    client, _, marie = partner
    query = {"departureLat": 51.24, "departureLng": 4.70, "arrivalLat": 51.25,
             "arrivalLng": 4.81, "departureDate": 49_294_203_325}  # fmt: skip
    for path in PATHS:
        bad = client.get(path, params=query, headers=marie)
        assert bad.status_code == 400, bad.text
        assert "departureDate" in bad.json()["error"]
        jsonschema_rs.validate(response_schema(standard, path, "400"), bad.json())


def test_our_documented_bad_request_is_the_standard_s_error_body(
    make_client: Callable[..., TestClient], empty_amqp_uri: str
) -> None:
    # Found by schemathesis: the app-wide `{detail}` had replaced the route's own `{error}`.
    ours = make_client(empty_amqp_uri).get("/openapi.json").json()
    for path in PATHS:
        documented = ours["paths"][path]["get"]["responses"]["400"]["content"]
        assert documented["application/json"]["schema"]["properties"] == {
            "error": {"type": "string"}
        }, path


def test_a_search_at_the_poles_finds_no_ride_rather_than_failing(
    partner: tuple[TestClient, dict[str, str], dict[str, str]], standard: dict[str, Any]
) -> None:
    # Found by schemathesis: departureLat=-90 made the carpool service fail (502); Redis GEO
    # indexes no latitude beyond ±85.05°, so no meeting place is near there.
    client, _, marie = partner
    query = {"departureLat": -90, "departureLng": -180, "arrivalLat": -90,
             "arrivalLng": -180, "departureDate": 0, "count": 1}  # fmt: skip
    for path in PATHS:
        found = client.get(path, params=query, headers=marie)
        assert found.status_code == 200, found.text
        assert found.json() == []


def test_a_partner_is_admitted_only_on_the_interoperability_searches_and_its_session(
    make_client: Callable[..., TestClient], empty_amqp_uri: str
) -> None:
    schema = make_client(empty_amqp_uri).get("/openapi.json").json()
    admitted = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if Role.PARTNER.value in operation.get("x-roles", ())
    }
    assert admitted == {
        ("GET", "/driver_journeys"),
        ("GET", "/passenger_journeys"),
        ("POST", "/auth/logout"),
        ("GET", "/auth/me"),
        ("POST", "/auth/password"),
    }
