"""Alerts objects in the ownership matrix: campaigns (drawn as an area) and contacts.

Owner: Villeneuve-d'Ascq's mayor; intruder: Lille's. The campaign is drawn as a polygon around
a Villeneuve resident, so it names no commune: exactly the case that used to leak.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from contracts.users import Role
from tests.integration.gateway.ownership import Built, OwnedBy, World, register, user

LILLE, VILLENEUVE = "59350", "59009"
OWNER = user("mayor-villeneuve", Role.MAYOR, VILLENEUVE)
INTRUDER = user("mayor-lille", Role.MAYOR, LILLE)
IMPORTER = user("dispatcher-alerts", Role.DISPATCHER)
HOME = (3.1417, 50.6233)  # lon, lat in Villeneuve-d'Ascq


def _resident(world: World) -> str:
    """A Villeneuve resident placed on the map; returns their contact id."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(("nom", "téléphone", "commune", "date consentement", "lat", "lon"))
    # 06 12 3x xx xx: allocated mobile numbers (not every 06 9x is, for libphonenumber).
    number = "+336123" + str(uuid.uuid4().int)[:5]
    writer.writerow(
        (f"Durand {uuid.uuid4().hex[:6]}", number, VILLENEUVE, "01/03/2024", HOME[1], HOME[0])
    )
    response = world.client.post(
        "/contacts/import",
        content=out.getvalue().encode(),
        headers={**world.as_user(IMPORTER), "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    row = response.json()["rows"][0]
    assert row["status"] == "imported", row
    return str(row["contact_id"])


def _area_campaign(world: World) -> Built:
    _resident(world)
    lon, lat = HOME
    ring = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01],
            [lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]  # fmt: skip
    request = {
        "title": "Crue de la Marque",
        "message": "Crue : evitez les berges.",
        "severity": "warning",
        "target": {"polygon": {"type": "Polygon", "coordinates": [ring]}},
        "channels": ["sms"],
    }
    created = world.client.post("/campaigns", json=request, headers=world.as_user(OWNER))
    assert created.status_code == 201, created.text
    campaign_id = created.json()["campaign_id"]

    def snapshot() -> Any:
        seen = world.client.get(f"/campaigns/{campaign_id}", headers=world.as_user(OWNER))
        return seen.status_code, seen.json()

    return Built(params={"campaign_id": campaign_id}, snapshot=snapshot)


def _follow_up(world: World) -> Built:
    built = _area_campaign(world)
    return Built(built.params, built.snapshot, body={"text": "Fin de l'alerte."})


def _contact(world: World) -> Built:
    contact_id = _resident(world)

    def snapshot() -> Any:
        seen = world.client.get(f"/contacts/{contact_id}/export", headers=world.as_user(OWNER))
        return seen.status_code, seen.json()

    return Built(params={"contact_id": contact_id}, snapshot=snapshot)


for _method, _path in (
    ("GET", "/campaigns/{campaign_id}"),
    ("POST", "/campaigns/{campaign_id}/send"),
    ("POST", "/campaigns/{campaign_id}/cancel"),
    ("GET", "/campaigns/{campaign_id}/report.csv"),
    ("GET", "/campaigns/{campaign_id}/events"),
):
    register(_method, _path, OwnedBy(OWNER, INTRUDER, _area_campaign))
for _path in ("/campaigns/{campaign_id}/update", "/campaigns/{campaign_id}/end"):
    register("POST", _path, OwnedBy(OWNER, INTRUDER, _follow_up))
register("GET", "/contacts/{contact_id}/export", OwnedBy(OWNER, INTRUDER, _contact))
register("DELETE", "/contacts/{contact_id}", OwnedBy(OWNER, INTRUDER, _contact))
