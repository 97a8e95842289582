"""The carpool page in real headless Chromium against the real services and the Kempen graph:
a driver offers a ride, a passenger finds it with its French reason and books it, the driver
accepts it; a dispatcher books for a resident who phoned."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from contracts.users import Role, UserCreate
from services.gateway.auth import create_user
from services.gateway.users import UserStore
from tests.integration.gateway.conftest import PASSWORD

pytestmark = pytest.mark.browser
WAIT_MS = 30_000
PLACES = "name,lat,lon\nZoersel,51.2667,4.7125\nPulle,51.2480,4.8420\n"


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/covoiturage")
    page.get_by_label("Identifiant", exact=True).fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Chercher un trajet")).to_be_visible(timeout=WAIT_MS)


@pytest.fixture
def people(live_gateway: str, store: UserStore) -> str:
    for name, role, full in (
        ("jan", Role.RESIDENT, "Jan"),
        ("marie", Role.RESIDENT, "Marie"),
        ("paul", Role.RESIDENT, "Paul"),
        ("disp", Role.DISPATCHER, ""),
    ):
        create_user(store, UserCreate(username=name, password=PASSWORD, role=role, full_name=full))
    with httpx.Client(base_url=live_gateway, timeout=60) as http:
        token = http.post("/auth/login", json={"username": "disp", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        imported = http.post(
            "/carpool/places/import", json={"kind": "list", "text": PLACES}, headers=headers
        )
        assert imported.status_code == 200, imported.text
    return live_gateway


def test_offer_search_book_and_accept_in_the_browser(browser: Browser, people: str) -> None:
    day = (dt.datetime.now(ZoneInfo("Europe/Paris")).date() + dt.timedelta(days=1)).isoformat()
    driver = browser.new_context(locale="fr-FR").new_page()
    _log_in(driver, people, "jan")
    offer = driver.locator("#offer-form")
    offer.get_by_label("Départ", exact=True).select_option(label="Zoersel")
    offer.get_by_label("Arrivée").select_option(label="Pulle")
    offer.get_by_label("Jour").fill(day)
    offer.get_by_role("button", name="Proposer").click()
    expect(driver.locator("#offered")).to_contain_text("Zoersel → Pulle", timeout=WAIT_MS)

    passenger = browser.new_context(locale="fr-FR").new_page()
    _log_in(passenger, people, "marie")
    search = passenger.locator("#search-form")
    search.get_by_label("Départ", exact=True).select_option(label="Zoersel")
    search.get_by_label("Arrivée").select_option(label="Pulle")
    search.get_by_label("Jour").fill(day)
    search.get_by_role("button", name="Chercher").click()
    match = passenger.locator("#matches li").first
    expect(match).to_contain_text("départ 8 h", timeout=WAIT_MS)
    expect(match).to_contain_text("avec Jan")
    match.get_by_role("button", name="Réserver").click()
    expect(passenger.locator("#bookings")).to_contain_text(
        "en attente du conducteur", timeout=WAIT_MS
    )
    passenger.screenshot(path="/tmp/covoiturage-passenger.png", full_page=True)

    driver.get_by_role("button", name="Actualiser").click()
    booking = driver.locator("#bookings li").first
    expect(booking).to_contain_text("passager : Marie", timeout=WAIT_MS)
    booking.get_by_role("button", name="Accepter").click()
    expect(driver.locator("#bookings")).to_contain_text("Réservation confirmée", timeout=WAIT_MS)

    passenger.get_by_role("button", name="Actualiser").click()
    expect(passenger.locator("#bookings")).to_contain_text("confirmée", timeout=WAIT_MS)

    # The dispatcher books for Paul, who phoned: same page, "on behalf of".
    dispatcher = browser.new_context(locale="fr-FR").new_page()
    _log_in(dispatcher, people, "disp")
    dispatcher.get_by_label("Pour le compte de").fill("paul")
    search = dispatcher.locator("#search-form")
    search.get_by_label("Départ", exact=True).select_option(label="Zoersel")
    search.get_by_label("Arrivée").select_option(label="Pulle")
    search.get_by_label("Jour").fill(day)
    search.get_by_role("button", name="Chercher").click()
    dispatcher.locator("#matches li").first.get_by_role("button", name="Réserver").click()
    expect(dispatcher.locator("#matches li button").first).to_have_text("Réservé", timeout=WAIT_MS)
    dispatcher.screenshot(path="/tmp/covoiturage-dispatcher.png", full_page=True)
    driver.get_by_role("button", name="Actualiser").click()
    expect(driver.locator("#bookings")).to_contain_text("passager : paul", timeout=WAIT_MS)
