"""A mairie's CSV has addresses, not coordinates: its contacts are placed from the Base Adresse
Nationale (a small file in its own format, tests/fixtures/ban/), and a flood-zone campaign then
reaches the people placed inside; the one that could not be placed is listed for the mairie, and
a campaign to its commune still reaches it."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.alerts import CampaignRequest, CampaignTarget
from contracts.feeds import ReachGeometry
from services.alerts.address_files import load_address_books
from services.alerts.campaign_ops import people_in_area, preview_campaign, resolve_recipients
from services.alerts.contact_ops import import_contacts, unplaced_contacts
from services.alerts.store import AlertsStore
from tests.callers import DISPATCHER_CALLER, MAYOR_BAILLEUL_CALLER

pytestmark = pytest.mark.integration

BAN_DIR = Path(__file__).parents[2] / "fixtures" / "ban"
COMMUNES = {"59043": "Bailleul", "59401": "Méteren"}
MAIRIE_CSV = """nom;prénom;téléphone;commune;adresse;date consentement
Lefebvre;Marie;06 12 34 56 01;Bailleul;1 rue d'Ypres;01/03/2025
Dubois;Jean;06 12 34 56 02;Bailleul;14 r. d'Ypres;01/03/2025
Vandamme;Odile;06 12 34 56 03;Méteren;4 Grand Rue;01/03/2025
Decock;Paul;06 12 34 56 04;Bailleul;Lieu-dit le Mont Noir;01/03/2025
""".encode()
# A stretch of becque through the centre of Bailleul, along the rue d'Ypres (lon, lat).
BECQUE = ReachGeometry(type="LineString", lines=(((2.7355, 50.7375), (2.7375, 50.7400)),))


def _import(store: AlertsStore, tenant: str):  # type: ignore[no-untyped-def]
    return import_contacts(
        store,
        tenant,
        DISPATCHER_CALLER,
        MAIRIE_CSV,
        COMMUNES,
        lambda codes: load_address_books(BAN_DIR, codes),
    )


def _flood_campaign() -> CampaignRequest:
    return CampaignRequest(
        title="Crue de la becque", message="Montée des eaux rue d'Ypres", severity="warning",
        target=CampaignTarget(vigicrues_reach="BECQUE", reach_buffer_m=300),
    )  # fmt: skip


def test_contacts_without_coordinates_are_placed_and_a_flood_zone_reaches_them(
    store: AlertsStore, tenant: str
) -> None:
    report = _import(store, tenant)
    store.save_reaches(tenant, {"BECQUE": BECQUE.model_dump_json()})

    assert report.imported == 4 and report.placed == 3
    assert [r.placement for r in report.rows] == ["housenumber", "street", "housenumber", "commune"]
    reached = {c.full_name for c in people_in_area(store, tenant, _flood_campaign())}
    assert reached == {"Marie Lefebvre", "Jean Dubois"}  # not Méteren, 3 km away
    preview = preview_campaign(store, tenant, _flood_campaign(), DISPATCHER_CALLER)
    assert preview.people == 2 and preview.area_people == 2
    assert preview.area_unplaced == 1  # Paul Decock, of Bailleul, whom no map can place
    assert preview.area_communes == ("59043",)
    assert preview.area_geojson is not None and preview.area_geojson["type"] == "Polygon"


def test_the_contact_that_cannot_be_placed_is_listed_and_still_reached_by_its_commune(
    store: AlertsStore, tenant: str
) -> None:
    report = _import(store, tenant)

    assert [(u.full_name, u.address) for u in report.unplaced] == [
        ("Paul Decock", "Lieu-dit le Mont Noir")
    ]
    assert "Base Adresse Nationale" in report.unplaced[0].why
    later = unplaced_contacts(store, tenant, MAYOR_BAILLEUL_CALLER)
    assert [u.full_name for u in later] == ["Paul Decock"]
    bailleul = CampaignRequest(
        title="Crue", message="Montée des eaux", severity="warning",
        target=CampaignTarget(communes=("59043",)),
    )  # fmt: skip
    names = {r.contact_id for r in resolve_recipients(store, tenant, bailleul, DISPATCHER_CALLER)}
    assert later[0].contact_id in names


def test_a_street_match_says_which_address_was_used(store: AlertsStore, tenant: str) -> None:
    _import(store, tenant)

    dubois = next(
        c
        for c in store.contacts(tenant, store.all_contact_ids(tenant))
        if c.full_name == "Jean Dubois"
    )
    assert dubois.placement == "street"
    assert dubois.placed_from.startswith("12 Rue d'Ypres, Bailleul")


def test_a_reimport_where_no_address_file_is_at_hand_keeps_the_points(
    store: AlertsStore, tenant: str
) -> None:
    _import(store, tenant)

    again = import_contacts(store, tenant, DISPATCHER_CALLER, MAIRIE_CSV, COMMUNES, None)

    assert again.placed == 3
    assert [u.full_name for u in again.unplaced] == ["Paul Decock"]
    store.save_reaches(tenant, {"BECQUE": BECQUE.model_dump_json()})
    reached = {c.full_name for c in people_in_area(store, tenant, _flood_campaign())}
    assert reached == {"Marie Lefebvre", "Jean Dubois"}
