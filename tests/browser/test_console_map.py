"""The console's map in Chromium: the tenant's communes drawn from their boundaries, a polygon
the agent draws by clicking over Bailleul and Méteren, and, before anything is sent, the number
of contacts placed inside it and of those the map cannot place; and a river reach's flood zone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page, expect

from contracts.feeds import ReachGeometry
from contracts.gateway import TenantUpdate
from contracts.users import Commune, Role
from services.alerts import feed_records
from services.alerts.address_files import load_address_books
from services.alerts.contact_ops import import_contacts
from services.alerts.store import AlertsStore
from services.alerts.territory import communes_from_geojson, to_geojson
from services.common.settings import Settings
from services.gateway.users import UserStore
from tests.browser.test_console_feeds import log_in
from tests.callers import DISPATCHER_CALLER

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp")
BAN_DIR = Path(__file__).parents[1] / "fixtures" / "ban"
BAILLEUL, METEREN = "59043", "59401"
MAIRIE_CSV = """nom;prénom;téléphone;commune;adresse;date consentement
Lefebvre;Marie;06 12 34 56 01;Bailleul;1 rue d'Ypres;01/03/2025
Dubois;Jean;06 12 34 56 02;Bailleul;12 rue d'Ypres;01/03/2025
Leroy;Luc;06 12 34 56 05;Bailleul;40 avenue de la Gare;01/03/2025
Vandamme;Odile;06 12 34 56 03;Méteren;4 Grand Rue;01/03/2025
Decock;Paul;06 12 34 56 04;Bailleul;Lieu-dit le Mont Noir;01/03/2025
""".encode()
# Clicked corners (lon, lat): across the border of the two communes, north of Bailleul's station.
CORNERS = [(2.69, 50.735), (2.745, 50.735), (2.745, 50.75), (2.69, 50.75)]


def _territory(store: UserStore, redis_conn: redis.Redis, tenant: str, shared_data: Path) -> None:
    store.set_tenant(
        TenantUpdate(
            name="CC de Flandre intérieure (test)",
            communes=(
                Commune(code="59350", name="Lille"),  # the fixtures' mayor is bound to Lille
                Commune(code=BAILLEUL, name="Bailleul"),
                Commune(code=METEREN, name="Méteren"),
            ),
        )
    )
    nord = json.loads((shared_data / "communes" / "communes-59-nord.geojson").read_text("utf-8"))
    ours = [c for c in communes_from_geojson(nord) if c.code in {BAILLEUL, METEREN}]
    feed_records.save_boundaries(redis_conn, tenant, json.dumps(to_geojson(ours)))
    alerts = AlertsStore(redis_conn, Settings())
    report = import_contacts(
        alerts,
        tenant,
        DISPATCHER_CALLER,
        MAIRIE_CSV,
        {BAILLEUL: "Bailleul", METEREN: "Méteren"},
        lambda codes: load_address_books(BAN_DIR, codes),
    )
    assert report.placed == 4 and len(report.unplaced) == 1


def test_an_agent_draws_an_area_over_two_communes_and_sees_who_is_inside(
    page: Page,
    live_gateway: str,
    role_users: dict[Role, str],
    store: UserStore,
    redis_conn: redis.Redis,
    tenant: str,
    shared_data: Path,
) -> None:
    _territory(store, redis_conn, tenant, shared_data)

    log_in(page, live_gateway, role_users[Role.DISPATCHER])
    communes = page.locator("#map path.commune")
    expect(communes).to_have_count(2)
    page.get_by_label("Titre").fill("Orage de grêle")
    page.get_by_label("Message SMS").fill("Orage violent attendu ce soir, rentrez vos vehicules.")
    page.get_by_label("Zone dessinée sur la carte").check()
    for lon, lat in CORNERS:
        point = page.evaluate("([lon, lat]) => window.BocageMap.screenPoint(lon, lat)", [lon, lat])
        page.mouse.click(point["x"], point["y"])

    counts = page.locator("#area-counts")
    expect(counts).to_contain_text("3 contact(s) dans la zone dessinée (Bailleul, Méteren)")
    expect(counts).to_contain_text("1 non placé(s)")
    expect(page.locator("#pv-people")).to_have_text("3")
    expect(page.locator("#map path.commune.chosen")).to_have_count(2)
    expect(page.locator("#map .area")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "bocage-console-map.png"), full_page=True)


def test_a_reachs_flood_zone_is_drawn_with_the_people_inside(
    page: Page,
    live_gateway: str,
    role_users: dict[Role, str],
    store: UserStore,
    redis_conn: redis.Redis,
    tenant: str,
    shared_data: Path,
) -> None:
    _territory(store, redis_conn, tenant, shared_data)
    becque = ReachGeometry(type="LineString", lines=(((2.7355, 50.7375), (2.7375, 50.7400)),))
    AlertsStore(redis_conn, Settings()).save_reaches(tenant, {"BECQUE": becque.model_dump_json()})

    log_in(page, live_gateway, role_users[Role.DISPATCHER])
    expect(page.locator("#map path.commune")).to_have_count(2)
    page.get_by_label("Titre").fill("Crue de la becque")
    page.get_by_label("Message SMS").fill("Montee des eaux rue d'Ypres, evitez les berges.")
    page.get_by_label("Zone inondable d'un tronçon").check()
    page.get_by_label("Tronçon Vigicrues (code)").fill("BECQUE")
    page.get_by_label("Largeur de part et d'autre (m)").fill("300")

    counts = page.locator("#area-counts")
    expect(counts).to_contain_text("2 contact(s) dans la zone inondable (Bailleul)")
    expect(counts).to_contain_text("1 non placé(s)")
    expect(page.locator("#map .area")).to_have_count(1)
    expect(page.locator("#pv-people")).to_have_text("2")
