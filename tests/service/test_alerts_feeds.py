"""Vigilance feeds become drafts for the mayors concerned; never a sent message."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from services.alerts.service import AlertsService
from tests.callers import DISPATCHER
from tests.feed_documents.made import OVER_BAILLEUL_AND_METEREN, Area, Info, cap, edxl

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
    assert (again["changes"], again["drafts"]) == (0, [])
    drafted_first = {o["key"]: o for o in first["outcomes"] if o["outcome"] == "drafted"}
    assert drafted_first["meteofrance:35:3"]["communes"] == ["35047", "35238"]
    unchanged = {o["key"]: o for o in again["outcomes"] if o["outcome"] == "no_change"}
    assert unchanged["meteofrance:35:3"]["communes"] == ["35047", "35238"]
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


FLANDRE = {"59043": "Bailleul", "59401": "Méteren", "59580": "Steenvoorde"}


def _boundaries(shared_data: Path) -> str:
    nord = json.loads((shared_data / "communes" / "communes-59-nord.geojson").read_text())
    kept = [f for f in nord["features"] if f["properties"]["code"] in FLANDRE]
    return json.dumps({"type": "FeatureCollection", "features": kept})


def test_each_alert_of_an_envelope_gets_its_outcome_and_a_polygon_drafts_for_its_communes(
    container_factory: Any, feeds_config: dict[str, Any], shared_data: Path, tenant: str
) -> None:
    container = container_factory(AlertsService, feeds_config)
    container.start()
    rennes = "48.1,-1.7 48.1,-1.6 48.2,-1.6 48.2,-1.7 48.1,-1.7"
    envelope = edxl(
        cap(
            Info(areas=(Area("Houtland", polygons=(OVER_BAILLEUL_AND_METEREN,)),)), identifier="in"
        ),
        cap(Info(areas=(Area("Rennes", polygons=(rennes,)),)), identifier="far"),
        cap(identifier="drill", status="Exercise"),
        cap(identifier="secours", scope="Restricted"),
        cap(Info(severity="Minor"), identifier="minor"),
        cap(identifier="broken").replace("<certainty>Likely</certainty>", ""),
    )
    mayor = {"username": "maire-steenvoorde", "role": "mayor", "communes": ["59580"]}
    dispatcher = {"username": "regulation", "role": "dispatcher", "communes": []}

    with ServiceRpcProxy("alerts", feeds_config) as alerts:
        assert alerts.set_commune_boundaries(tenant, _boundaries(shared_data)) == 3
        answer = alerts.ingest_feed(
            tenant, "cap", base64.b64encode(envelope.encode()).decode(), FLANDRE, "regulation"
        )
        seen_by_mayor = alerts.feed_outcomes(tenant, mayor)
        seen_by_dispatcher = alerts.feed_outcomes(tenant, dispatcher)

    by_key = {o["key"].split(":")[-1]: o for o in answer["outcomes"]}
    assert by_key["in"]["outcome"] == "drafted" and by_key["in"]["communes"] == ["59043", "59401"]
    assert sorted(d["request"]["target"]["communes"][0] for d in answer["drafts"]) == [
        "59043",
        "59401",
    ]
    assert (by_key["far"]["outcome"], by_key["far"]["why"]) == ("not_concerned", "area_outside")
    assert (by_key["drill"]["why"], by_key["secours"]["why"]) == ("test_or_exercise", "scope")
    assert by_key["minor"]["why"] == "level_too_low"
    rejected = [o for o in answer["outcomes"] if o["outcome"] == "rejected"]
    assert len(rejected) == 1 and "certainty" in rejected[0]["reason"]

    assert seen_by_dispatcher[0]["outcomes"] == answer["outcomes"]
    mayors_view = {o["key"].split(":")[-1]: o for o in seen_by_mayor[0]["outcomes"]}
    assert mayors_view["in"]["outcome"] == "not_concerned" and mayors_view["in"]["communes"] == []


def test_a_bad_caller_for_the_outcomes_is_refused(
    container_factory: Any, feeds_config: dict[str, Any], tenant: str
) -> None:
    container = container_factory(AlertsService, feeds_config)
    container.start()

    with ServiceRpcProxy("alerts", feeds_config) as alerts, pytest.raises(RemoteError) as err:
        alerts.feed_outcomes(tenant, {"username": "x", "role": "nobody"})

    assert err.value.exc_type == "InvalidMessage"


def square(x: float, y: float) -> dict[str, Any]:
    """A made commune boundary, 0.05° a side, from its south-west corner."""
    ring = [[x, y], [x + 0.05, y], [x + 0.05, y + 0.05], [x, y + 0.05], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_a_reach_in_flood_drafts_for_the_communes_its_zone_covers_then_its_end(
    container_factory: Any, feeds_config: dict[str, Any], shared_data: Path, tenant: str
) -> None:
    container = container_factory(AlertsService, feeds_config)
    container.start()
    sample = json.loads(
        (shared_data / "vigilance" / "enerlens-vigicrues-infovigicru-sample.geojson").read_text()
    )
    orange = json.loads(json.dumps(sample))
    for feature in orange["features"]:
        if feature["properties"]["CdEntCru"] == "NO50":
            feature["properties"]["NivInfViCr"] = 3
    # Made boundaries (the intercommunality's own GeoJSON): a commune over the Eure at NO50 and
    # one 10 km east of it. Nobody is in the contacts: the boundaries alone decide.
    boundaries = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "28085", "nom": "Chartres"},
             "geometry": square(1.56, 48.55)},
            {"type": "Feature", "properties": {"code": "28218", "nom": "Lucé"},
             "geometry": square(1.72, 48.55)},
        ],
    }  # fmt: skip
    communes = {"28085": "Chartres", "28218": "Lucé"}

    def b64(document: Any) -> str:
        return base64.b64encode(json.dumps(document).encode()).decode()

    with ServiceRpcProxy("alerts", feeds_config) as alerts:
        alerts.set_commune_boundaries(tenant, json.dumps(boundaries))
        flood = alerts.ingest_feed(tenant, "vigicrues", b64(orange), communes, "feed-reader")
        calm = alerts.ingest_feed(tenant, "vigicrues", b64(sample), communes, "feed-reader")

    in_flood = {o["key"]: o for o in flood["outcomes"]}["vigicrues:NO50"]
    assert (in_flood["outcome"], in_flood["communes"]) == ("drafted", ["28085"])
    assert [d["request"]["target"]["communes"] for d in flood["drafts"]] == [["28085"]]
    ended = {o["key"]: o for o in calm["outcomes"]}["vigicrues:NO50"]
    assert (ended["outcome"], ended["communes"]) == ("drafted", ["28085"])
    assert "Fin de vigilance crues" in calm["drafts"][0]["request"]["title"]
