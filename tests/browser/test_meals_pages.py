"""The family's, the dispatcher's and the driver's meal pages in real headless Chromium, against
the real services and the Kempen road graph (issue 11).

Everything is set up through the API for a day ten days ahead (orders are open then), and each
page is then used as a person would: a family orders (a dish against the diet is refused with
the reason), a dispatcher plans the day in one click and reads the kitchen sheet, a driver starts
the round, sees the door notes and the meal, marks a stop delivered, and the phone's positions
(queued while offline) reach the ETAs. Screenshots go to /tmp.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from contracts.users import Role
from tests.integration.gateway.conftest import PASSWORD

pytestmark = pytest.mark.browser
WAIT_MS = 30_000
DAY = dt.datetime.now(ZoneInfo("Europe/Paris")).date() + dt.timedelta(days=10)
WEEK = DAY - dt.timedelta(days=DAY.weekday())
KITCHEN = [51.2667, 4.7125]
HOMES = [
    ("s-a", "Lefebvre", [51.2983, 4.7331], ["sans_sel"]),
    ("s-b", "Dubois", [51.2860, 4.8020], []),
    ("s-c", "Martin", [51.2480, 4.8420], []),
]
MENU = {
    "week": WEEK.isoformat(),
    "days": [
        {
            "day": DAY.isoformat(),
            "choices": [
                {"id": "blanquette", "name": "Blanquette de veau"},
                {"id": "colin", "name": "Colin sauce citron", "diets": ["sans_sel"]},
            ],
        }
    ],
}


def _headers(http: httpx.Client, username: str) -> dict[str, str]:
    token = http.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _set_up(base: str, users: dict[Role, str], ordered: bool, planned: bool) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=60) as http:
        dispatcher = _headers(http, users[Role.DISPATCHER])
        for sid, last, at, diets in HOMES:
            _ok(
                http.put(
                    f"/seniors/{sid}",
                    headers=dispatcher,
                    json={
                        "id": sid,
                        "first_name": "Jeanne",
                        "last_name": last,
                        "address": f"rue {last}",
                        "commune": "59350",
                        "location": at,
                        "diets": diets,
                        "weekdays": ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"],
                        "door_notes": f"clé chez {last}",
                        "emergency_contacts": [{"name": "Paul", "phone": "+33612345678"}],
                    },
                )
            )
        _ok(
            http.put(
                f"/seniors/s-a/families/{users[Role.FAMILY]}",
                headers=dispatcher,
                json={"phone": "+33611111111", "notify": True},
            )
        )
        _ok(http.put("/menus", json=MENU, headers=dispatcher))
        if ordered:
            for sid, *_ in HOMES:
                choice = "colin" if sid == "s-a" else "blanquette"
                _ok(
                    http.put(
                        f"/seniors/{sid}/orders/{DAY}",
                        headers=dispatcher,
                        json={"choice_id": choice},
                    )
                )
        if planned:
            return _ok(
                http.post(
                    "/meals/day",
                    headers=dispatcher,
                    json={  # type: ignore[no-any-return]
                        "date": DAY.isoformat(),
                        "kitchen": KITCHEN,
                        "time_limit_s": 1,
                        "vehicles": [
                            {
                                "id": "van-1",
                                "capacity": 10,
                                "shift_start": "10:00",
                                "shift_end": "14:00",
                                "driver": users[Role.DRIVER],
                            }
                        ],
                    },
                )
            )
    return {}


def _log_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_a_family_orders_and_a_dish_against_the_diet_is_refused_with_the_reason(
    page: Page, live_gateway: str, role_users: dict[Role, str]
) -> None:
    _set_up(live_gateway, role_users, ordered=False, planned=False)
    problems = _watch(page)
    _log_in(page, f"{live_gateway}/family", role_users[Role.FAMILY])
    expect(page.get_by_label("Personne", exact=True)).to_contain_text(
        "Jeanne Lefebvre", timeout=WAIT_MS
    )
    # Only the linked senior is offered.
    assert page.get_by_label("Personne", exact=True).locator("option").count() == 1
    page.get_by_label("Semaine du").fill(DAY.isoformat())
    page.get_by_role("button", name="Afficher").click()
    card = page.locator(f"article[data-day='{DAY.isoformat()}']")
    expect(card).to_be_visible(timeout=WAIT_MS)
    card.get_by_role("combobox").select_option("blanquette")
    card.get_by_role("button", name="Commander").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Blanquette de veau is not sans_sel", timeout=WAIT_MS
    )
    card.get_by_role("combobox").select_option("colin")
    card.get_by_role("button", name="Commander").click()
    expect(card).to_contain_text("Commandé : Colin sauce citron", timeout=WAIT_MS)
    expect(page.locator("#tracking-status")).to_contain_text("Pas de repas", timeout=WAIT_MS)
    page.screenshot(path="/tmp/bocage-family.png", full_page=True)
    assert problems == []


def test_a_dispatcher_plans_the_day_in_one_click_and_reads_the_kitchen_sheet(
    page: Page, live_gateway: str, role_users: dict[Role, str]
) -> None:
    _set_up(live_gateway, role_users, ordered=True, planned=False)
    problems = _watch(page)
    _log_in(page, f"{live_gateway}/dispatch", role_users[Role.DISPATCHER])
    expect(page.locator("#welfare")).to_contain_text("Aucune vérification", timeout=WAIT_MS)
    page.get_by_label("Jour", exact=True).fill(DAY.isoformat())
    page.get_by_label("Véhicules").fill(f"van-1, {role_users[Role.DRIVER]}, 20")
    page.get_by_role("button", name="Planifier (ou re-planifier) la journée").click()
    expect(page.locator("#rounds")).to_contain_text("van-1", timeout=WAIT_MS)
    expect(page.locator("#rounds")).to_contain_text("3 arrêts")
    expect(page.locator("#map polyline")).to_have_count(1)
    expect(page.locator("#unserved")).to_contain_text("Aucun.")
    page.get_by_role("button", name="Afficher").click()  # the day's current plan, read back
    expect(page.locator("#rounds")).to_contain_text("van-1", timeout=WAIT_MS)
    sheet = page.locator("#sheet-table")
    expect(sheet).to_contain_text("Colin sauce citron")
    expect(sheet).to_contain_text("Blanquette de veau")
    expect(sheet.locator("tr").last).to_contain_text("3")
    page.screenshot(path="/tmp/bocage-dispatch.png", full_page=True)
    assert problems == []


def test_a_driver_starts_marks_a_stop_and_positions_sent_after_an_outage_reach_the_etas(
    browser: Browser, live_gateway: str, role_users: dict[Role, str]
) -> None:
    plan = _set_up(live_gateway, role_users, ordered=True, planned=True)
    first = plan["vehicles"][0]["stops"][0]
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        geolocation={"latitude": KITCHEN[0], "longitude": KITCHEN[1]},
        permissions=["geolocation"],
    )
    page = context.new_page()
    problems = _watch(page)
    try:
        _log_in(page, f"{live_gateway}/driver", role_users[Role.DRIVER])
        page.get_by_label("Jour", exact=True).fill(DAY.isoformat())
        page.get_by_role("button", name="Afficher").click()
        page.get_by_role("button", name="Démarrer la tournée").click()
        expect(page.get_by_role("button", name="Tournée démarrée")).to_be_visible(timeout=WAIT_MS)
        next_card = page.get_by_role("article", name="Prochain arrêt")
        expect(next_card).to_contain_text(first["recipient_name"])
        expect(next_card).to_contain_text("Repas :")
        expect(next_card).to_contain_text("À la porte : clé chez")
        # The network drops: positions wait in the page, and go when it is back.
        context.set_offline(True)
        page.wait_for_timeout(6_000)
        assert (
            page.evaluate(
                "JSON.parse(localStorage.getItem('bocage.driver.positions') || '[]').length"
            )
            >= 1
        )
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        queued = "JSON.parse(localStorage.getItem('bocage.driver.positions') || '[]').length"
        deadline = time.monotonic() + WAIT_MS / 1000
        while page.evaluate(queued) and time.monotonic() < deadline:
            page.wait_for_timeout(200)  # the page's CSP forbids wait_for_function's eval
        assert page.evaluate(queued) == 0
        next_card.get_by_role("button", name=f"Livré chez {first['recipient_name']}").click()
        expect(page.get_by_role("alert")).to_contain_text("livré", timeout=WAIT_MS)
        expect(next_card).not_to_contain_text(first["recipient_name"])
        page.screenshot(path="/tmp/bocage-driver-meals.png", full_page=True)
    finally:
        context.close()
    with httpx.Client(base_url=live_gateway, timeout=30) as http:
        dispatcher = _headers(http, role_users[Role.DISPATCHER])
        view = _ok(http.get(f"/meal-rounds/{plan['round_id']}/van-1", headers=dispatcher))
    assert view["started"] is True
    assert view["stops"][0]["status"] == "delivered"
    assert all(s["eta"] for s in view["stops"][1:]), view["stops"]
    assert problems == []
