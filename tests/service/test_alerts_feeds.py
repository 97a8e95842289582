"""Vigilance feeds become drafts for the mayors concerned; never a sent message."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from services.alerts.service import AlertsService

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
        campaigns = alerts.list_campaigns(tenant, None)

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
