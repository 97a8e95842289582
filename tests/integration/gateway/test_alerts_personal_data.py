"""Personal data through the gateway on the real services: who a contact is across imports, what
an erasure leaves behind, and reports a spreadsheet opens safely (issue 9)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role

from . import alert_builders
from .alert_builders import LILLE, campaign_request, import_csv, mobile, person, report_rows
from .conftest import login

pytestmark = pytest.mark.integration


# A gateway on the real services, the role users made (alert_builders.py).
client = alert_builders.client


@pytest.fixture
def mayor(client: TestClient, role_users: dict[Role, str]) -> dict[str, str]:
    return login(client, role_users[Role.MAYOR])


def _sent_report(client: TestClient, headers: dict[str, str]) -> tuple[str, list[dict[str, str]]]:
    created = client.post("/campaigns", json=campaign_request(channels=["sms"]), headers=headers)
    campaign_id = created.json()["campaign_id"]
    assert client.post(f"/campaigns/{campaign_id}/send", headers=headers).status_code == 202
    report = client.get(f"/campaigns/{campaign_id}/report.csv", headers=headers)
    assert report.status_code == 200
    return campaign_id, report_rows(report.text)


def test_a_re_import_updates_the_same_contact_and_keeps_her_numbers(
    client: TestClient, mayor: dict[str, str]
) -> None:
    first, second = mobile(), mobile()
    before = import_csv(client, mayor, [person("Martin", first)])["rows"][0]["contact_id"]
    # The same name typed in full-width letters by another tool, with her new number.
    after = import_csv(client, mayor, [person("Ｍａｒｔｉｎ", second)])["rows"][0]["contact_id"]

    assert after == before
    export = client.get(f"/contacts/{before}/export", headers=mayor).json()
    assert {p["e164"] for p in export["contact"]["phones"]} == {first, second}
    others = import_csv(client, mayor, [person("🌊🏠", mobile()), person("🔥🌲", mobile())])
    assert len({row["contact_id"] for row in others["rows"]}) == 2


def test_an_erased_contact_leaves_neither_name_nor_number_in_reports(
    client: TestClient, mayor: dict[str, str]
) -> None:
    kept_phone, erased_phone = mobile(), mobile()
    rows = import_csv(client, mayor, [person("Martin", kept_phone), person("Durand", erased_phone)])
    erased_id = rows["rows"][1]["contact_id"]
    campaign_id, report = _sent_report(client, mayor)
    assert {r["phone"] for r in report} == {kept_phone, erased_phone}

    assert client.delete(f"/contacts/{erased_id}", headers=mayor).status_code == 204

    after = report_rows(client.get(f"/campaigns/{campaign_id}/report.csv", headers=mayor).text)
    assert len(after) == 2  # the outcome is kept: two people were alerted
    text = str(after)
    assert erased_phone not in text and erased_id not in text and "Durand" not in text
    assert kept_phone in text
    audit = client.get("/audit", headers=mayor).json()
    assert audit[0]["action"] == "contact_erased"
    assert erased_phone not in str(audit)
    assert client.get(f"/contacts/{erased_id}/export", headers=mayor).status_code == 404


def test_a_report_never_carries_a_live_formula(client: TestClient, mayor: dict[str, str]) -> None:
    phone = mobile()
    hyperlink = '=HYPERLINK("http://evil.example";"x")'
    rows = [
        (name, "", number, LILLE, "01/03/2024", "non", "")
        for name, number in ((hyperlink, phone), ("@SUM(A1:A9)", mobile()))
    ]
    import_csv(client, mayor, rows)

    _, report = _sent_report(client, mayor)

    assert sorted(r["full_name"] for r in report) == [
        '\'=HYPERLINK("http://evil.example";"x")',
        "'@SUM(A1:A9)",
    ]
    assert phone in {r["phone"] for r in report}  # a phone number stays a number
