"""The console shows what became of each alert of a vigilance document: an agent of the
intercommunality reads an EDXL envelope in Chromium and sees, per alert, drafted (for which
communes), not concerning the territory (and why) or rejected; the mayor of Lille sees the same
outcomes for their commune, and the draft waiting for approval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page, expect

from contracts.users import Role
from services.alerts import feed_records
from tests.feed_documents.made import BAILLEUL_SQUARE, Area, Info, cap, edxl
from tests.integration.gateway.conftest import PASSWORD

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp")
LILLE_SQUARE = "50.625,3.05 50.625,3.07 50.635,3.07 50.635,3.05 50.625,3.05"


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/console")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Vigilances lues")).to_be_visible()


def test_an_agent_reads_a_document_and_the_mayor_sees_each_alerts_outcome(
    page: Page,
    live_gateway: str,
    role_users: dict[Role, str],
    redis_conn: redis.Redis,
    tenant: str,
    shared_data: Path,
) -> None:
    nord = json.loads((shared_data / "communes" / "communes-59-nord.geojson").read_text())
    ours = [f for f in nord["features"] if f["properties"]["code"] in ("59350", "59009")]
    feed_records.save_boundaries(
        redis_conn, tenant, json.dumps({"type": "FeatureCollection", "features": ours})
    )
    envelope = edxl(
        cap(
            Info(event="Orages", areas=(Area("Lille centre", polygons=(LILLE_SQUARE,)),)),
            identifier="lille",
        ),
        cap(
            Info(event="Vent violent", areas=(Area("Bailleul", polygons=(BAILLEUL_SQUARE,)),)),
            identifier="bailleul",
        ),
        cap(Info(event="Submersion"), identifier="exercice", status="Exercise"),
        cap(identifier="cassee").replace("<urgency>Immediate</urgency>", ""),
    )

    log_in(page, live_gateway, role_users[Role.DISPATCHER])
    page.get_by_label("Type de document").select_option("cap")
    page.get_by_label("Fichier").set_input_files(
        {"name": "envelope.xml", "mimeType": "application/xml", "buffer": envelope.encode()}
    )
    page.get_by_role("button", name="Lire le document").click()

    outcomes = page.locator("#feed-outcomes .feed-outcome")
    expect(page.locator("#feed-status")).to_contain_text("4 alerte(s), 1 brouillon(s)")
    expect(outcomes).to_have_count(4)
    drafted = outcomes.filter(has_text="Brouillon proposé")
    expect(drafted).to_contain_text("Orages")
    expect(drafted).to_contain_text("pour Lille")
    outside = outcomes.filter(has_text="Vent violent")
    expect(outside).to_contain_text("Ne concerne pas le territoire")
    expect(outside).to_contain_text("zone hors du territoire")
    expect(outcomes.filter(has_text="test ou exercice")).to_have_count(1)
    expect(outcomes.locator("xpath=self::*[@data-outcome='rejected']")).to_contain_text("urgency")
    page.screenshot(path=str(SCREENSHOTS / "bocage-console-feeds-agent.png"), full_page=True)

    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, live_gateway, role_users[Role.MAYOR])
    expect(page.locator("#feed-reader")).to_be_hidden()
    expect(outcomes.filter(has_text="Brouillon proposé")).to_contain_text("pour Lille")
    expect(outcomes.filter(has_text="Vent violent")).to_contain_text("zone hors du territoire")
    expect(page.locator("#drafts")).to_contain_text("Alerte orange orages – Lille")
    page.screenshot(path=str(SCREENSHOTS / "bocage-console-feeds-mayor.png"), full_page=True)
