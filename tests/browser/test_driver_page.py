"""The driver's page in real headless Chromium, on a phone-sized screen, against the real services.

A dispatcher plans a 4-stop meal round on the Kempen graph and marks the first stop done by a
re-plan; the driver logs in on a 390×844 viewport and must see the next stop first, the done one
collapsed, the SVG map with its road line and the OpenStreetMap attribution, and, printed, a sheet
listing every stop. Screenshots go to /tmp for a human to look at. Chromium (`browser`) and the
gateway under uvicorn on the real services (`live_gateway`) come from tests/browser/conftest.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from contracts.users import Role
from tests.integration.gateway.conftest import PASSWORD
from tests.integration.gateway.test_rounds_http import meal_request, paris_today

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp")
WAIT_MS = 20_000


def _round_with_first_stop_done(base: str, dispatcher: str, driver: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/auth/login", json={"username": dispatcher, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        planned = http.post(
            "/rounds/meals", json=meal_request(paris_today(), driver), headers=headers
        )
        assert planned.status_code == 201, planned.text
        plan = planned.json()
        first = plan["vehicles"][0]["stops"][0]
        change = {
            "vehicle_id": "van-1",
            "position": first["location"],
            "now": first["service_start"],
            "done": [first["id"]],
            "time_limit_s": 1,
        }
        replanned = http.post(f"/rounds/{plan['round_id']}/replan", json=change, headers=headers)
        assert replanned.status_code == 200, replanned.text
        result: dict[str, Any] = replanned.json()
        return result


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/driver")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_driver_sees_the_next_stop_first_the_map_and_a_printable_sheet(
    browser: Browser, live_gateway: str, role_users: dict[Role, str]
) -> None:
    plan = _round_with_first_stop_done(
        live_gateway, role_users[Role.DISPATCHER], role_users[Role.DRIVER]
    )
    stops = plan["vehicles"][0]["stops"]
    done, following = stops[0], stops[1:]
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="fr-FR",
    )  # fmt: skip
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if not r.ok else None)
    try:
        _log_in(page, live_gateway, role_users[Role.DRIVER])

        next_card = page.get_by_role("article", name="Prochain arrêt")
        expect(next_card).to_be_visible(timeout=WAIT_MS)
        expect(next_card).to_contain_text(following[0]["recipient_name"])
        expect(next_card).to_contain_text(following[0]["address"])
        expect(next_card).to_contain_text(following[0]["arrival"])
        expect(next_card.get_by_role("button", name="Personne n'a répondu")).to_be_visible()
        # First on the page: above the map and every other stop.
        later = page.locator(".round > ol.stops > li")
        expect(later).to_have_count(len(following) - 1)
        assert _top(next_card) < _top(page.locator(".map svg")) < _top(later.first)
        expect(later.first).to_contain_text(following[1]["recipient_name"])
        # The done stop is collapsed under its summary.
        summary = page.get_by_text("Arrêts effectués (1)")
        expect(summary).to_be_visible()
        expect(page.locator("details.done-stops li")).to_be_hidden()
        expect(page.locator("details.done-stops li")).to_contain_text(done["recipient_name"])

        drawing = page.get_by_role("img", name="Carte de la tournée van-1 : 4 arrêts")
        expect(drawing).to_be_visible()
        road = drawing.locator("polyline.road")
        expect(road).to_have_count(1)
        assert len((road.get_attribute("points") or "").split()) > 50
        expect(drawing.locator("circle")).to_have_count(len(stops))
        expect(page.get_by_text("© OpenStreetMap contributors")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
        page.screenshot(path=str(SHOTS / "driver_page_phone.png"), full_page=True)
        page.screenshot(path=str(SHOTS / "driver_page_phone_fold.png"))

        page.emulate_media(media="print")
        sheet = page.get_by_role("region", name="Feuille de route van-1")
        expect(sheet).to_be_visible()
        rows = sheet.locator("tbody tr")
        expect(rows).to_have_count(len(stops))
        expect(rows.first).to_contain_text(done["recipient_name"])
        expect(rows.first).to_contain_text("✓")  # done: ticked, its times no longer planned
        for row, stop in zip(rows.all()[1:], following, strict=True):
            expect(row).to_contain_text(stop["recipient_name"])
            expect(row).to_contain_text(stop["arrival"])
            expect(row).to_contain_text("☐")
        expect(sheet.locator("tfoot")).to_contain_text("km")
        expect(sheet.locator("tfoot")).to_contain_text("CO₂")
        expect(next_card).to_be_hidden()
        page.screenshot(path=str(SHOTS / "driver_page_print.png"), full_page=True)
        page.emulate_media(media="screen")

        next_card.get_by_role("button", name="Personne n'a répondu").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Signaler l'absence").click()
        expect(page.get_by_role("alert")).to_contain_text("Absence signalée", timeout=WAIT_MS)
        # The driver moves on: the next stop is now the one after.
        expect(next_card).to_contain_text(following[1]["recipient_name"], timeout=WAIT_MS)
        page.screenshot(path=str(SHOTS / "driver_page_after_report.png"), full_page=True)
        assert problems == []
    finally:
        context.close()


def test_a_driver_with_no_round_today_is_told_so(
    browser: Browser, live_gateway: str, role_users: dict[Role, str]
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        _log_in(page, live_gateway, role_users[Role.DRIVER])
        expect(page.get_by_text("Aucune tournée prévue pour ce jour.")).to_be_visible(
            timeout=WAIT_MS
        )
        expect(page.get_by_role("button", name="Imprimer")).to_be_disabled()
    finally:
        page.close()


def _top(locator: Any) -> float:
    box = locator.bounding_box()
    assert box is not None, "the element is not displayed"
    return float(box["y"])
