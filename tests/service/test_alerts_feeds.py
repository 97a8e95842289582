"""Vigilance feeds become drafts for the mayors concerned; never a sent message."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from services.alerts.service import AlertsService
from tests.callers import DISPATCHER

pytestmark = pytest.mark.service

# Ille-et-Vilaine (35) is orange for thunderstorms in the Météo-France sample; Calvados (14)
# yellow; the Nord (59) green.
COMMUNES = {"35238": "Rennes", "35047": "Bruz", "14118": "Caen", "59350": "Lille"}


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


@pytest.fixture
def feeds_config(service_config: dict[str, Any], shared_data: Path) -> dict[str, Any]:
    return {**service_config, "ALERTS_CAP_SCHEMA": str(shared_data / "cap" / "CAP-v1.2.xsd")}


def test_meteofrance_orange_drafts_one_campaign_per_commune_and_a_repeat_changes_nothing(
    container_factory: Any, feeds_config: dict[str, Any], shared_data: Path, tenant: str
) -> None:
    container = container_factory(AlertsService, feeds_config)
    container.start()
    sample = _b64(shared_data / "vigilance" / "enerlens-meteofrance-cartevigilance-sample.json")

    with ServiceRpcProxy("alerts", feeds_config) as alerts:
        first = alerts.ingest_feed(tenant, "meteofrance", sample, COMMUNES, "feed-reader")
        again = alerts.ingest_feed(tenant, "meteofrance", sample, COMMUNES, "feed-reader")
        campaigns = alerts.list_campaigns(tenant, DISPATCHER)

    drafted = {d["request"]["target"]["communes"][0]: d for d in first["drafts"]}
    assert set(drafted) == {"35238", "35047", "14118"}
    assert drafted["35238"]["request"]["severity"] == "warning"  # orange
    assert drafted["14118"]["request"]["severity"] == "information"  # jaune
    assert all(d["status"] == "draft" for d in first["drafts"])
    assert "Rennes" in drafted["35238"]["request"]["message"]
    assert again == {"changes": 0, "drafts": []}
    assert len(campaigns) == 3  # nothing sent, nothing duplicated


def test_an_invalid_cap_file_is_refused_with_the_reason(
    container_factory: Any, feeds_config: dict[str, Any], shared_data: Path, tenant: str
) -> None:
    container = container_factory(AlertsService, feeds_config)
    container.start()
    bad = _b64(shared_data / "cap" / "google-noaa_errors.cap")

    with ServiceRpcProxy("alerts", feeds_config) as alerts, pytest.raises(RemoteError) as err:
        alerts.ingest_feed(tenant, "cap", bad, COMMUNES, "feed-reader")

    assert err.value.exc_type == "InvalidMessage"
    assert "urgency" in str(err.value)


def test_a_campaign_can_target_the_flood_zone_along_a_vigicrues_reach(
    container_factory: Any, feeds_config: dict[str, Any], shared_data: Path, tenant: str
) -> None:
    container = container_factory(AlertsService, feeds_config)
    container.start()
    vigicrues = _b64(shared_data / "vigilance" / "enerlens-vigicrues-infovigicru-sample.geojson")
    # One household 100 m from the Eure (reach NO50), one 5 km away, both in Chartres' area.
    people = (
        "nom;prénom;téléphone;commune;latitude;longitude;date consentement\n"
        "Riviere;Anne;06 20 00 00 01;28085;48.56872;1.58690;01/02/2025\n"
        "Colline;Paul;06 20 00 00 02;28085;48.61300;1.58550;01/02/2025\n"
    )
    request = {"title": "Crue de l'Eure", "message": "Crue de l'Eure : montez à l'étage.",
               "severity": "warning", "target": {"vigicrues_reach": "NO50", "reach_buffer_m": 500},
               "channels": ["sms"]}  # fmt: skip

    with ServiceRpcProxy("alerts", feeds_config) as alerts:
        alerts.import_contacts(
            tenant, DISPATCHER, base64.b64encode(people.encode()).decode(), {"28085": "Chartres"}
        )
        with pytest.raises(RemoteError) as unknown:
            alerts.preview_campaign(tenant, DISPATCHER, request)
        alerts.ingest_feed(tenant, "vigicrues", vigicrues, {"28085": "Chartres"}, "feed-reader")
        preview = alerts.preview_campaign(tenant, DISPATCHER, request)

    assert "unknown river reach 'NO50'" in str(unknown.value)
    assert preview["recipients"] == {"sms": 1, "voice": 0}
