"""Builders and fixtures the gateway's alerts tests share: phone numbers, contact CSVs, campaign
requests, a client with a session per role, and a patient poll for what the services do in their
own time. The mayor is bound to Lille (59350); Villeneuve-d'Ascq (59009) is another commune of the
tenant."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import phonenumbers
import pytest
from fastapi.testclient import TestClient

from contracts.users import Commune, Role
from tests.waiting import eventually as eventually  # for the tests that import it here

from .conftest import login

LILLE, VILLENEUVE = "59350", "59009"
BAILLEUL = Commune(code="59043", name="Bailleul")
HEADER = ("nom", "prénom", "téléphone", "commune", "date consentement", "vulnérable", "canal")


# -- builders ----------------------------------------------------------------------------------
def _number(prefix: str, kind: int) -> str:
    # Random, so that numbers never meet across tests in the session-wide sandbox.
    while True:
        national = prefix + "".join(random.choices("0123456789", k=8))
        parsed = phonenumbers.parse(national, "FR")
        if phonenumbers.number_type(parsed) == kind:
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mobile() -> str:
    return _number("06", phonenumbers.PhoneNumberType.MOBILE)


def landline() -> str:
    return _number("03", phonenumbers.PhoneNumberType.FIXED_LINE)


def person(
    last: str,
    phone: str,
    commune: str = LILLE,
    *,
    vulnerable: str = "non",
    channel: str = "",
    consent: str = "01/03/2024",
) -> tuple[str, ...]:
    return (last, "Jeanne", phone, commune, consent, vulnerable, channel)


def contacts_csv(rows: Iterable[Iterable[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def campaign_request(
    communes: Iterable[str] = (LILLE,),
    message: str = "Crue de la Lys : evitez les berges.",
    channels: Iterable[str] = ("sms", "voice"),
) -> dict[str, Any]:
    return {
        "title": "Crue de la Lys",
        "message": message,
        "severity": "warning",
        "target": {"communes": list(communes)},
        "channels": list(channels),
    }


def report_rows(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def import_csv(client: httpx.Client, headers: dict[str, str], rows: Iterable[Iterable[str]]) -> Any:
    response = client.post(
        "/contacts/import",
        content=contacts_csv(rows).encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    return response.json()


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture
def client(
    make_client: Callable[..., TestClient], services_amqp_uri: str, role_users: dict[Role, str]
) -> TestClient:
    return make_client(services_amqp_uri)


@pytest.fixture
def as_role(client: TestClient, role_users: dict[Role, str]) -> Callable[[Role], dict[str, str]]:
    sessions: dict[Role, dict[str, str]] = {}

    def headers(role: Role) -> dict[str, str]:
        if role not in sessions:
            sessions[role] = login(client, role_users[role])
        return sessions[role]

    return headers


Auth = Callable[[Role], dict[str, str]]
