"""Seniors' meals over HTTP on the real services and the Kempen road graph (issue 11).

The ownership check is generated from the OpenAPI schema: every operation a family may call on a
senior is tried on another family's senior, and answers 404 exactly like a senior that does not
exist; nothing changes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.roles import operation_roles
from services.gateway.users import UserStore
from tests.integration.gateway.conftest import PASSWORD, login, ok

pytestmark = pytest.mark.integration

DAY = dt.datetime.now(ZoneInfo("Europe/Paris")).date() + dt.timedelta(days=10)
WEEK = DAY - dt.timedelta(days=DAY.weekday())
FIELD = [51.26297, 4.75736]  # 854 m from the nearest road
MENU = {
    "week": WEEK.isoformat(),
    "days": [
        {
            "day": DAY.isoformat(),
            "choices": [
                {"id": "blanquette", "name": "Blanquette de veau", "allergens": ["lait"]},
                {"id": "colin", "name": "Colin sauce citron", "diets": ["sans_sel"]},
            ],
        }
    ],
}


def senior(sid: str, last: str, at: list[float], **extra: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "first_name": "Jeanne",
        "last_name": last,
        "address": f"rue {last}",
        "commune": "59350",
        "location": at,
        "weekdays": ["lun", "mar", "mer", "jeu", "ven"],
        "emergency_contacts": [{"name": "Paul", "phone": "+33612345678"}],
        **extra,
    }


@pytest.fixture
def client(make_client: Callable[..., TestClient], services_amqp_uri: str) -> TestClient:
    return make_client(services_amqp_uri)


@pytest.fixture
def families(store: UserStore) -> tuple[str, str]:
    for name in ("famille-a", "famille-b"):
        create_user(store, UserCreate(username=name, password=PASSWORD, role=Role.FAMILY))
    return "famille-a", "famille-b"


def _setup(client: TestClient, dispatcher: dict[str, str], families: tuple[str, str]) -> None:
    ok(
        client.put(
            "/seniors/s-a",
            json=senior("s-a", "Lefebvre", [51.2983, 4.7331], diets=["sans_sel"]),
            headers=dispatcher,
        )
    )
    ok(
        client.put(
            "/seniors/s-b", json=senior("s-b", "Dubois", [51.2860, 4.8020]), headers=dispatcher
        )
    )
    for sid, family in zip(("s-a", "s-b"), families, strict=True):
        ok(
            client.put(
                f"/seniors/{sid}/families/{family}",
                json={"phone": "+33611111111", "notify": True},
                headers=dispatcher,
            )
        )
    ok(client.put("/menus", json=MENU, headers=dispatcher))


def test_every_family_operation_on_another_familys_senior_is_404_and_changes_nothing(
    client: TestClient, role_users: dict[Role, str], families: tuple[str, str]
) -> None:
    dispatcher = login(client, role_users[Role.DISPATCHER])
    _setup(client, dispatcher, families)
    ok(
        client.put(
            f"/seniors/s-b/orders/{DAY}",
            json={"choice_id": "blanquette"},
            headers=login(client, families[1]),
        )
    )
    before = ok(client.get("/seniors/s-b/history", headers=dispatcher))
    family_a = login(client, families[0])
    bodies = {"PUT": {"choice_id": "blanquette"}, "POST": {}}
    tried = []
    for path, item in client.get("/openapi.json").json()["paths"].items():
        for method, operation in item.items():
            admitted = operation_roles(operation) or frozenset()
            if "{senior_id}" not in path or Role.FAMILY not in admitted:
                continue
            answers = []
            for target in ("s-b", "s-nobody"):
                concrete = re.sub(
                    r"{(\w+)}",
                    lambda m, t=target: {"senior_id": t, "day": DAY.isoformat()}[m.group(1)],
                    path,
                )
                response = client.request(
                    method.upper(), concrete, headers=family_a, json=bodies.get(method.upper())
                )
                answers.append((response.status_code, response.json()["detail"]))
            tried.append(f"{method.upper()} {path}")
            assert answers[0][0] == answers[1][0] == 404, (path, answers)
            assert answers[0][1].replace("s-b", "X") == answers[1][1].replace("s-nobody", "X")
    assert len(tried) >= 7, tried
    assert ok(client.get("/seniors/s-b/history", headers=dispatcher)) == before
    assert [s["id"] for s in ok(client.get("/seniors", headers=family_a))] == ["s-a"]


def test_profiles_orders_and_the_register_over_http(
    client: TestClient, role_users: dict[Role, str], families: tuple[str, str]
) -> None:
    dispatcher = login(client, role_users[Role.DISPATCHER])
    _setup(client, dispatcher, families)
    family_a = login(client, families[0])

    off_road = client.put("/seniors/s-f", json=senior("s-f", "Hoeve", FIELD), headers=dispatcher)
    assert off_road.status_code == 422
    assert "s-f (Jeanne Hoeve) is 854 m from the nearest road" in off_road.json()["detail"]

    against_diet = client.put(
        f"/seniors/s-a/orders/{DAY}", json={"choice_id": "blanquette"}, headers=family_a
    )
    assert against_diet.status_code == 422
    assert "Blanquette de veau is not sans_sel" in against_diet.json()["detail"]
    order = ok(
        client.put(f"/seniors/s-a/orders/{DAY}", json={"choice_id": "colin"}, headers=family_a)
    )
    assert order["choice_name"] == "Colin sauce citron" and order["editable"] is True
    week = ok(client.get("/seniors/s-a/orders", params={"week": DAY.isoformat()}, headers=family_a))
    assert [o["choice_id"] for o in week] == ["colin"]
    paused = client.post(
        "/seniors/s-a/pauses",
        headers=dispatcher,
        json={"start": DAY.isoformat(), "end": DAY.isoformat(), "reason": "hôpital"},
    )
    assert paused.status_code == 200, paused.text
    refused = client.put(
        f"/seniors/s-a/orders/{DAY}", json={"choice_id": "colin"}, headers=family_a
    )
    assert refused.status_code == 422 and "paused" in refused.json()["detail"]
    history = ok(client.get("/seniors/s-a/history", headers=family_a))
    assert [h["by"] for h in history][-2:] == ["famille-a", role_users[Role.DISPATCHER]]
    assert client.put("/seniors/s-a/pauses", json={}, headers=family_a).status_code == 405
    assert client.post("/seniors/s-a/pauses", json={}, headers=family_a).status_code == 403

    csv = (
        "id,first_name,last_name,address,commune,lat,lon,weekdays,contact1_name,contact1_phone\n"
        "s-c,Louise,Martin,Schoolstraat 9,59350,51.2480,4.8420,lun jeu,Anne,+33611111111\n"
        f"s-f,Paul,Hoeve,Hoeve,59350,{FIELD[0]},{FIELD[1]},lun,Anne,+33611111111\n"
        "s-x,Sans,Jour,rue,59350,51.2480,4.8420,,Anne,+33611111111\n"
    )
    report = ok(
        client.post(
            "/seniors/import",
            content=csv.encode(),
            headers={**dispatcher, "Content-Type": "text/csv"},
        )
    )
    assert (report["imported"], report["refused"]) == (1, 2)
    assert "854 m" in report["rows"][1]["detail"] and "weekdays" in report["rows"][2]["detail"]


def test_a_family_follows_the_delivery_live(
    client: TestClient, role_users: dict[Role, str], families: tuple[str, str]
) -> None:
    dispatcher = login(client, role_users[Role.DISPATCHER])
    _setup(client, dispatcher, families)
    ok(
        client.put(
            f"/seniors/s-b/orders/{DAY}",
            json={"choice_id": "blanquette"},
            headers=login(client, families[1]),
        )
    )
    family_b = login(client, families[1])
    seen = ok(
        client.get("/seniors/s-b/tracking", params={"date": DAY.isoformat()}, headers=family_b)
    )
    assert seen["status"] == "not_planned" and seen["vehicle"] is None
    # The bearer header (a ?access_token= is no longer accepted; browsers use a stream ticket).
    with client.stream(
        "GET", "/seniors/s-b/tracking/live", params={"date": DAY.isoformat()}, headers=family_b
    ) as stream:
        assert stream.status_code == 200
        lines = []
        for line in stream.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    first = json.loads(lines[-1].removeprefix("data:").strip())
    assert first["status"] == "not_planned" and first["senior_id"] == "s-b"
    other = client.get("/seniors/s-a/tracking/live", headers=family_b)
    assert other.status_code == 404
