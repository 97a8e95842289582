"""The gateway's alerts endpoints on the real services: campaigns (preview, targeting, roles,
send, cancel), the audit trail, vigilance feeds and the mayor's console.

The mayor is bound to Lille (59350); Villeneuve-d'Ascq (59009) is another commune of the tenant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role

from . import alert_builders
from .alert_builders import (
    LILLE,
    VILLENEUVE,
    Auth,
    campaign_request,
    import_csv,
    landline,
    mobile,
    person,
)

pytestmark = pytest.mark.integration

# The shared fixtures (alert_builders.py): a client on the real services, a session per role.
client = alert_builders.client
as_role = alert_builders.as_role


# -- campaigns ---------------------------------------------------------------------------------
def test_preview_flags_ucs2_names_the_forcing_letters_and_offers_a_gsm_variant(
    client: TestClient, as_role: Auth
) -> None:
    mayor = as_role(Role.MAYOR)
    import_csv(client, mayor, [person("Martin", mobile()), person("Roux", landline())])
    message = "Crue : la rivière a dépassé la côte d'alerte, évitez les berges. " * 2

    response = client.post(
        "/campaigns/preview", json=campaign_request(message=message), headers=mayor
    )

    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["recipients"] == {"sms": 1, "voice": 1}
    assert preview["sms"]["encoding"] == "UCS-2"
    assert "ô" in preview["sms"]["forcing_characters"]
    assert preview["sms"]["segments"] >= 2
    assert "ô" not in preview["transliterated_message"]
    variant = preview["transliterated_sms"]
    assert variant["encoding"] == "GSM-7"
    assert variant["segments"] < preview["sms"]["segments"]


def test_a_mayor_cannot_target_another_commune(client: TestClient, as_role: Auth) -> None:
    mayor = as_role(Role.MAYOR)
    for path in ("/campaigns/preview", "/campaigns"):
        response = client.post(path, json=campaign_request([LILLE, VILLENEUVE]), headers=mayor)
        assert response.status_code == 403, path
        assert VILLENEUVE in response.json()["detail"]


@pytest.mark.parametrize("role", [Role.DRIVER, Role.FAMILY, Role.RESIDENT])
def test_roles_outside_the_alerts_get_403(client: TestClient, as_role: Auth, role: Role) -> None:
    headers = as_role(role)
    assert client.post("/campaigns", json=campaign_request(), headers=headers).status_code == 403
    assert client.get("/campaigns", headers=headers).status_code == 403
    opt_out = client.post("/contacts/opt-out", json={"phone": mobile()}, headers=headers)
    assert opt_out.status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"message": ""},
        {"severity": "apocalypse"},
        {"channels": ["fax"]},
        {"target": {"communes": []}},
    ],
)
def test_a_bad_campaign_is_422(client: TestClient, as_role: Auth, change: dict[str, Any]) -> None:
    body = {**campaign_request(), **change}
    response = client.post("/campaigns", json=body, headers=as_role(Role.DISPATCHER))
    assert response.status_code == 422
    assert response.json()["detail"]


def test_campaigns_are_listed_and_read_within_the_mayors_communes(
    client: TestClient, as_role: Auth
) -> None:
    dispatcher, mayor = as_role(Role.DISPATCHER), as_role(Role.MAYOR)
    theirs = client.post("/campaigns", json=campaign_request([VILLENEUVE]), headers=dispatcher)
    mine = client.post("/campaigns", json=campaign_request([LILLE]), headers=mayor)
    assert (theirs.status_code, mine.status_code) == (201, 201)
    theirs_id, mine_id = theirs.json()["campaign_id"], mine.json()["campaign_id"]

    assert [c["campaign_id"] for c in client.get("/campaigns", headers=mayor).json()] == [mine_id]
    listed = {c["campaign_id"] for c in client.get("/campaigns", headers=dispatcher).json()}
    assert listed == {mine_id, theirs_id}
    assert client.get(f"/campaigns/{theirs_id}", headers=mayor).status_code == 404
    for action in ("send", "cancel"):
        assert client.post(f"/campaigns/{theirs_id}/{action}", headers=mayor).status_code == 404
    assert client.get(f"/campaigns/{theirs_id}/report.csv", headers=mayor).status_code == 404
    detail = client.get(f"/campaigns/{mine_id}", headers=mayor).json()
    assert detail["campaign"]["status"] == "draft"
    assert client.get("/campaigns/cmp-nope", headers=dispatcher).status_code == 404


def test_a_cancelled_draft_cannot_be_sent_and_a_draft_has_no_follow_up(
    client: TestClient, as_role: Auth
) -> None:
    mayor = as_role(Role.MAYOR)
    campaign_id = client.post("/campaigns", json=campaign_request(), headers=mayor).json()[
        "campaign_id"
    ]

    update = client.post(f"/campaigns/{campaign_id}/update", json={"text": "x"}, headers=mayor)
    assert update.status_code == 409
    empty = client.post(f"/campaigns/{campaign_id}/end", json={"text": ""}, headers=mayor)
    assert empty.status_code == 422
    cancel = client.post(f"/campaigns/{campaign_id}/cancel", headers=mayor)
    assert cancel.status_code == 200
    assert cancel.json()["campaign"]["status"] == "cancelled"
    assert cancel.json()["cancelled_sends"] == 0
    assert client.post(f"/campaigns/{campaign_id}/send", headers=mayor).status_code == 409


def test_the_audit_shows_a_mayor_only_their_own_trail(client: TestClient, as_role: Auth) -> None:
    dispatcher, mayor = as_role(Role.DISPATCHER), as_role(Role.MAYOR)
    client.post("/campaigns", json=campaign_request([VILLENEUVE]), headers=dispatcher)
    mine = client.post("/campaigns", json=campaign_request([LILLE]), headers=mayor).json()
    # A dispatcher acting on the mayor's campaign shows in the mayor's trail too.
    client.post(f"/campaigns/{mine['campaign_id']}/cancel", headers=dispatcher)

    everything = client.get("/audit", headers=dispatcher).json()
    seen_by_mayor = client.get("/audit", headers=mayor).json()

    assert len(everything) == 3
    assert [(e["actor"], e["action"]) for e in seen_by_mayor] == [
        ("dispatcher-1", "campaign_cancelled"),
        ("mayor-1", "campaign_drafted"),
    ]
    assert client.get("/audit?count=0", headers=dispatcher).status_code == 422
    assert client.get("/audit", headers=as_role(Role.DRIVER)).status_code == 403


# -- vigilance feeds -----------------------------------------------------------------------------
@pytest.fixture
def tenant_with_brittany(client: TestClient, as_role: Auth) -> None:
    """Adds Rennes and Bruz (35), orange for thunderstorms in the Météo-France sample."""
    communes = [
        {"code": LILLE, "name": "Lille"},
        {"code": VILLENEUVE, "name": "Villeneuve-d'Ascq"},
        {"code": "35238", "name": "Rennes"},
        {"code": "35047", "name": "Bruz"},
    ]
    response = client.put(
        "/tenant", json={"name": "CC de test", "communes": communes}, headers=as_role(Role.ADMIN)
    )
    assert response.status_code == 200, response.text


def test_a_vigilance_map_drafts_campaigns_that_wait_for_approval(
    client: TestClient, as_role: Auth, shared_data: Path, tenant_with_brittany: None
) -> None:
    sample = shared_data / "vigilance" / "enerlens-meteofrance-cartevigilance-sample.json"
    dispatcher, mayor = as_role(Role.DISPATCHER), as_role(Role.MAYOR)

    def ingest(headers: dict[str, str]) -> Any:
        response = client.post(
            "/feeds?kind=meteofrance",
            content=sample.read_bytes(),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    first = ingest(dispatcher)
    again = ingest(dispatcher)

    drafted = {d["request"]["target"]["communes"][0] for d in first["drafts"]}
    assert drafted == {"35238", "35047"}
    assert all(d["status"] == "draft" and d["source"] for d in first["drafts"])
    assert (again["drafts"], again["changes"]) == ([], 0)
    # The mayor of Lille (Nord, green) sees none of Brittany's drafts, and feeds are not theirs.
    assert client.get("/campaigns", headers=mayor).json() == []
    refused = client.post("/feeds?kind=meteofrance", content=sample.read_bytes(), headers=mayor)
    assert refused.status_code == 403
    listed = client.get("/campaigns", headers=dispatcher).json()
    assert {c["status"] for c in listed} == {"draft"}


def test_an_invalid_cap_file_is_422_with_the_reason(
    client: TestClient, as_role: Auth, shared_data: Path
) -> None:
    bad = (shared_data / "cap" / "google-noaa_errors.cap").read_bytes()
    response = client.post(
        "/feeds?kind=cap",
        content=bad,
        headers={**as_role(Role.DISPATCHER), "Content-Type": "application/xml"},
    )
    assert response.status_code == 422
    assert "urgency" in response.json()["detail"]
    unknown = client.post("/feeds?kind=rss", content=bad, headers=as_role(Role.DISPATCHER))
    assert unknown.status_code == 422


# -- the console page ----------------------------------------------------------------------------
def test_the_console_is_served_with_its_assets_and_a_strict_policy(client: TestClient) -> None:
    page = client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'lang="fr"' in page.text
    for asset, kind in (("console.js", "javascript"), ("console.css", "css")):
        response = client.get(f"/console/{asset}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
    assert "://" not in page.text  # no external asset
