"""The feed endpoints over HTTP on the real services: every reader error is a 4xx naming the
problem, and each ingest's per-alert outcome can be read back, a mayor's narrowed to their
communes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from contracts.users import Role
from services.alerts import feed_records
from tests.feed_documents.made import Area, Info, cap
from tests.integration.gateway import alert_builders
from tests.integration.gateway.alert_builders import Auth

# The alerts HTTP tests' fixtures: a client on the real services, sessions by role.
client = alert_builders.client
as_role = alert_builders.as_role

pytestmark = pytest.mark.integration
LILLE_SQUARE = "50.625,3.05 50.625,3.07 50.635,3.07 50.635,3.05 50.625,3.05"


def post_feed(
    client: TestClient, headers: dict[str, str], body: bytes, kind: str = "cap"
) -> object:
    return client.post(
        f"/feeds?kind={kind}", content=body, headers={**headers, "Content-Type": "application/xml"}
    )


@pytest.mark.parametrize(
    ("body", "kind", "status", "says"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "cap", 422, "DTD"),
        (cap().encode()[:300], "cap", 422, "not well-formed XML"),
        (cap(Info(areas=(Area("x", circles=("50.6,3.0 -2",)),))).encode(), "cap", 422, "circle"),
        ('<?xml version="1.0" encoding="UTF-8"?><a>é</a>'.encode("latin-1"), "cap", 422, "XML"),
        (b"[" * 100_000, "meteofrance", 422, "too deeply"),
        (b'{"a": "\xff"}', "vigicrues", 422, "UTF-8"),
        (b"<a/>" + b" " * 50_000_000, "cap", 413, "larger than 5 MB"),
    ],
    ids=[
        "entity",
        "truncated",
        "negative-radius",
        "wrong-encoding",
        "deep-json",
        "not-utf8",
        "50MB",
    ],
)
def test_every_reader_error_is_a_4xx_naming_the_problem(
    client: TestClient, as_role: Auth, body: bytes, kind: str, status: int, says: str
) -> None:
    response = post_feed(client, as_role(Role.DISPATCHER), body, kind)

    assert response.status_code == status, response.text
    assert says in response.json()["detail"]


def test_the_outcome_of_each_alert_is_read_back_and_a_mayor_sees_only_theirs(
    client: TestClient, as_role: Auth, shared_data: Path
) -> None:
    exercise = cap(Info(event="Submersion"), identifier="drill", status="Exercise")
    lille = cap(Info(areas=(Area("Lille", geocodes=(("INSEE", "59350"),)),)), identifier="lille")
    villeneuve = cap(Info(areas=(Area("VdA", geocodes=(("INSEE", "59009"),)),)), identifier="vda")
    for document in (exercise, lille, villeneuve):
        assert post_feed(client, as_role(Role.DISPATCHER), document.encode()).status_code == 200

    agent = client.get("/feeds/outcomes", headers=as_role(Role.DISPATCHER)).json()
    mayor = client.get("/feeds/outcomes", headers=as_role(Role.MAYOR)).json()  # Lille's

    assert [r["outcomes"][0]["outcome"] for r in agent] == ["drafted", "drafted", "not_concerned"]
    assert agent[0]["outcomes"][0]["communes"] == ["59009"]
    assert agent[2]["outcomes"][0]["why"] == "test_or_exercise"
    assert [r["outcomes"][0]["outcome"] for r in mayor] == [
        "not_concerned",
        "drafted",
        "not_concerned",
    ]
    assert "59009" not in str(mayor[0])
    assert client.get("/feeds/outcomes", headers=as_role(Role.DRIVER)).status_code == 403


def test_the_tenants_boundaries_are_served_as_geojson_once_stored(
    client: TestClient, as_role: Auth, shared_data: Path, redis_url: str, tenant: str
) -> None:
    missing = client.get("/tenant/communes.geojson", headers=as_role(Role.DRIVER))
    assert missing.status_code == 404 and "bocage tenant communes" in missing.json()["detail"]

    nord = json.loads((shared_data / "communes" / "communes-59-nord.geojson").read_text())
    lille = [f for f in nord["features"] if f["properties"]["code"] == "59350"]
    with redis.Redis.from_url(redis_url, decode_responses=True) as connection:
        feed_records.save_boundaries(
            connection, tenant, json.dumps({"type": "FeatureCollection", "features": lille})
        )

    served = client.get("/tenant/communes.geojson", headers=as_role(Role.DRIVER)).json()
    assert [f["properties"]["nom"] for f in served["features"]] == ["Lille"]
