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


def test_the_last_door_marked_ends_the_round_for_the_driver_and_the_dispatcher(
    browser: Browser, page: Page, live_gateway: str, role_users: dict[Role, str]
) -> None:
    plan = _set_up(live_gateway, role_users, ordered=True, planned=True)
    stops = plan["vehicles"][0]["stops"]
    with httpx.Client(base_url=live_gateway, timeout=30) as http:
        driver = _headers(http, role_users[Role.DRIVER])
        _ok(http.post(f"/meal-rounds/{plan['round_id']}/van-1/start", headers=driver))
        for stop, outcome, clock in (
            (stops[0], "delivered", "11:00"),
            (stops[1], "absent", "11:20"),
        ):
            mark = {"outcome": outcome, "at": f"{DAY}T{clock}:00+01:00"}
            _ok(http.post(f"/meal-deliveries/{stop['id']}/mark", headers=driver, json=mark))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    driver_page = phone.new_page()
    problems, seen = _watch(driver_page), _watch(page)
    last = stops[2]["recipient_name"]
    try:
        _log_in(driver_page, f"{live_gateway}/driver", role_users[Role.DRIVER])
        driver_page.get_by_label("Jour", exact=True).fill(DAY.isoformat())
        driver_page.get_by_role("button", name="Afficher").click()
        next_card = driver_page.get_by_role("article", name="Prochain arrêt")
        expect(next_card).to_contain_text(last, timeout=WAIT_MS)
        next_card.get_by_role("button", name=f"Refusé chez {last}").click()
        expect(next_card).to_contain_text("Tournée terminée à", timeout=WAIT_MS)
        expect(driver_page.get_by_role("button", name="Tournée terminée")).to_be_disabled()
        driver_page.screenshot(path="/tmp/bocage-driver-done.png", full_page=True)
    finally:
        phone.close()

    _log_in(page, f"{live_gateway}/dispatch", role_users[Role.DISPATCHER])
    page.get_by_label("Jour", exact=True).fill(DAY.isoformat())
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#rounds")).to_contain_text("van-1", timeout=WAIT_MS)
    expect(page.locator("#rounds")).to_contain_text("terminée à")
    expect(page.locator("#day-state")).to_have_text("Journée terminée")
    # The door not answered is a welfare case, with what happened last (a call, an SMS, its
    # receipt from the provider).
    case = page.locator("#welfare li", has_text=stops[1]["recipient_name"])
    expect(case).to_contain_text("appels en cours", timeout=WAIT_MS)
    expect(case.locator(".last-step")).to_contain_text("Paul")
    page.screenshot(path="/tmp/bocage-dispatch-done.png", full_page=True)
    assert problems == [] and seen == []


def test_the_kitchen_prints_its_production_sheet_from_the_dispatchers_page(
    page: Page, live_gateway: str, role_users: dict[Role, str]
) -> None:
    _set_up(live_gateway, role_users, ordered=True, planned=True)
    problems = _watch(page)
    _log_in(page, f"{live_gateway}/dispatch", role_users[Role.DISPATCHER])
    page.get_by_label("Jour", exact=True).fill(DAY.isoformat())
    page.get_by_label("Jour", exact=True).dispatch_event("change")
    page.get_by_role("link", name="Fiche cuisine à imprimer").click()
    page.wait_for_url(f"{live_gateway}/kitchen?date={DAY.isoformat()}")
    expect(page.locator("#grand-total")).to_have_text("3 repas", timeout=WAIT_MS)
    totals = page.locator("#totals")
    expect(totals.locator("tbody tr")).to_have_count(2)
    colin = totals.locator("tbody tr", has_text="Colin sauce citron")
    expect(colin.locator("td")).to_have_text(["Colin sauce citron", "sans sel", "normale", "1"])
    blanquette = totals.locator("tbody tr", has_text="Blanquette de veau")
    expect(blanquette.locator("td").last).to_have_text("2")
    van = page.locator("section[data-round='van-1']")
    expect(van.get_by_role("heading")).to_have_text("Tournée van-1 — 3 repas")
    expect(van).to_contain_text(f"Chauffeur : {role_users[Role.DRIVER]}")
    expect(van.locator("tfoot")).to_contain_text("3")
    # On paper: the sheet alone, no bar, no form, no button.
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator("#day-form")).to_be_hidden()
    expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
    expect(van).to_be_visible()
    pdf = page.pdf(path="/tmp/bocage-kitchen-sheet.pdf", format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    assert problems == []


def test_a_family_sees_the_road_the_van_has_left_to_drive_to_their_parent_and_nothing_else(
    page: Page, live_gateway: str, role_users: dict[Role, str]
) -> None:
    plan = _set_up(live_gateway, role_users, ordered=True, planned=True)
    stops = plan["vehicles"][0]["stops"]
    mine = next(i for i, s in enumerate(stops) if s["id"].endswith("-s-a"))
    with httpx.Client(base_url=live_gateway, timeout=30) as http:
        driver = _headers(http, role_users[Role.DRIVER])
        _ok(http.post(f"/meal-rounds/{plan['round_id']}/van-1/start", headers=driver))
        for n, stop in enumerate(stops[:mine]):  # the stops before hers are done
            mark = {"outcome": "delivered", "at": f"{DAY}T11:0{n}:00+01:00"}
            _ok(http.post(f"/meal-deliveries/{stop['id']}/mark", headers=driver, json=mark))
        position = {"vehicle_id": "van-1", "location": KITCHEN, "at": f"{DAY}T11:30:00+01:00"}
        _ok(http.post(f"/meal-rounds/{plan['round_id']}/positions", headers=driver, json=position))
    problems = _watch(page)
    _log_in(page, f"{live_gateway}/family?date={DAY.isoformat()}", role_users[Role.FAMILY])
    expect(page.locator("#tracking-status")).to_contain_text(
        "Le chauffeur arrive chez vous", timeout=WAIT_MS
    )
    road = page.locator("#tracking-map polyline.road")
    expect(road).to_have_count(1)
    # A road on the graph, bends and all, not a straight line from the van to the door.
    drawn = road.get_attribute("points") or ""
    assert len(drawn.split()) > 10, drawn
    # The van and her home, and no other senior's address.
    expect(page.locator("#tracking-map circle")).to_have_count(2)
    expect(page.locator("#tracking-map #van")).to_be_visible()
    expect(page.locator("#tracking-title")).not_to_contain_text("aujourd'hui")
    page.screenshot(path="/tmp/bocage-family-road.png", full_page=True)
    assert problems == []


CONTAINERS = [
    {"id": "c-full", "name": "Kerkplein", "location": [51.2983, 4.7331], "volume_litres": 3000},
    {"id": "c-rising", "name": "Dorp", "location": [51.2860, 4.8020], "volume_litres": 3000},
    {"id": "c-empty", "name": "Veld", "location": [51.2480, 4.8420], "volume_litres": 3000},
]
LEVELS = {"c-full": (60, 75, 90), "c-rising": (30, 40, 50), "c-empty": (5, 8, 10)}


def test_the_dispatcher_sees_the_containers_forecasts_and_the_waste_rounds_beside_the_meals(
    page: Page, live_gateway: str, role_users: dict[Role, str]
) -> None:
    _set_up(live_gateway, role_users, ordered=True, planned=True)
    with httpx.Client(base_url=live_gateway, timeout=60) as http:
        dispatcher = _headers(http, role_users[Role.DISPATCHER])
        _ok(http.post("/containers", json=CONTAINERS, headers=dispatcher))
        for cid, levels in LEVELS.items():  # the three days before the collection
            for back, level in zip((3, 2, 1), levels, strict=True):
                at = f"{DAY - dt.timedelta(days=back)}T07:00:00+01:00"
                reading = {"reading_id": f"{cid}-{back}", "container_id": cid, "at": at,
                           "level_pct": level}  # fmt: skip
                _ok(http.post("/containers/readings", json=reading, headers=dispatcher))
        truck = {"id": "truck-1", "capacity": 5000, "shift_start": "06:00", "shift_end": "13:00",
                 "driver": role_users[Role.DRIVER]}  # fmt: skip
        waste = {"date": DAY.isoformat(), "collection_time": "07:00", "depot": KITCHEN,
                 "disposal_sites": [[51.25, 4.70]], "trucks": [truck],
                 "time_limit_s": 2}  # fmt: skip
        planned = _ok(http.post("/rounds/waste", json=waste, headers=dispatcher))
    visited = [s["id"] for s in planned["vehicles"][0]["stops"] if s["kind"] == "container"]
    assert "c-full" in visited
    problems = _watch(page)
    _log_in(page, f"{live_gateway}/dispatch", role_users[Role.DISPATCHER])
    page.get_by_label("Jour", exact=True).fill(DAY.isoformat())
    page.get_by_role("button", name="Afficher").click()
    # The meals and the waste side by side, each drawn on the road graph.
    expect(page.locator("#rounds")).to_contain_text("van-1", timeout=WAIT_MS)
    waste_rounds = page.locator("#waste-rounds")
    expect(waste_rounds).to_contain_text(f"truck-1 ({role_users[Role.DRIVER]})")
    lifted = f"{len(visited)} conteneur{'s' if len(visited) > 1 else ''}, 1 vidage"
    expect(waste_rounds).to_contain_text(lifted)
    expect(page.locator("#waste-map polyline")).to_have_count(1)
    expect(page.locator("#map polyline")).to_have_count(1)
    # The containers, fullest forecast first, with what to do with each.
    rows = page.locator("#containers tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-container", "c-full")
    expect(rows.nth(0)).to_contain_text("à collecter")
    expect(rows.nth(0)).to_contain_text("100 %")  # 90 % yesterday, 15 points a day
    expect(rows.nth(0)).to_contain_text("15 %/jour")
    expect(rows.nth(1)).to_have_attribute("data-container", "c-rising")
    expect(rows.nth(1)).to_contain_text("60 %")
    expect(rows.nth(1)).to_contain_text("si possible")
    expect(rows.nth(2)).to_contain_text("pas encore")
    expect(page.locator("#forecast-at")).to_contain_text("Prévision pour une collecte le")
    page.screenshot(path="/tmp/bocage-dispatch-waste.png", full_page=True)
    assert problems == []
