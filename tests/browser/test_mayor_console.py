"""A mayor uses the console in Chromium: log in, compose, see UCS-2 flagged, send, watch it land."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from contracts.users import Role
from tests.integration.gateway.alert_builders import import_csv, mobile, person
from tests.integration.gateway.conftest import PASSWORD, login
from tests.sandbox_process import SandboxProcess

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp")
DEADLINE_MS = 60_000


def test_a_mayor_composes_switches_to_gsm_sends_and_watches_it_delivered(
    page: Page,
    live_gateway: str,
    role_users: dict[Role, str],
    twilio_sandbox: SandboxProcess,
) -> None:
    phones = [mobile(), mobile()]
    with httpx.Client(base_url=live_gateway, timeout=30) as http:
        mayor = login(http, role_users[Role.MAYOR])  # type: ignore[arg-type]
        import_csv(http, mayor, [person("Martin", phones[0]), person("Bernard", phones[1])])

    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(f"{live_gateway}/console")
    page.get_by_label("Identifiant").fill(role_users[Role.MAYOR])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("heading", name="Nouvelle alerte")).to_be_visible()
    expect(page.get_by_label("Lille (59350)")).to_be_checked()
    page.get_by_label("Titre").fill("Crue de la Lys")
    page.get_by_label("Message SMS").fill("Crue : fermez vos fenêtres et restez à l'abri.")

    encoding = page.locator("#pv-encoding")
    expect(encoding).to_have_text("UCS-2")
    expect(page.locator("#pv-forcing-list mark")).to_have_text(["ê"])
    expect(page.locator("#pv-marked mark")).to_have_text(["ê"])
    expect(page.locator("#pv-segments")).to_have_text("1")
    expect(page.locator("#pv-people")).to_have_text("2")
    page.screenshot(path=str(SCREENSHOTS / "bocage-console-preview.png"), full_page=True)

    page.get_by_role("button", name="Utiliser la variante translittérée").click()
    expect(page.get_by_label("Message SMS")).to_have_value(
        "Crue : fermez vos fenetres et restez à l'abri."
    )
    expect(encoding).to_have_text("GSM-7")
    expect(page.locator("#pv-forcing")).to_be_hidden()

    page.get_by_role("button", name="Préparer l'envoi…").click()
    dialog = page.get_by_role("alertdialog", name="Confirmer l'envoi")
    expect(dialog).to_contain_text("2 personne(s)")
    dialog.get_by_role("button", name="Confirmer et envoyer").click()

    live = page.locator("#live")
    expect(live.locator("li[data-status=delivered]")).to_have_text("remis : 2", timeout=DEADLINE_MS)
    expect(page.get_by_text("Tous les messages ont abouti.")).to_be_visible(timeout=DEADLINE_MS)
    expect(page.locator("#live-status")).to_have_text(re.compile("envoi|envoyée"))
    page.screenshot(path=str(SCREENSHOTS / "bocage-console-delivered.png"), full_page=True)
    # The live stream opened with a one-time ticket; the session token never went in a URL.
    token = page.evaluate("Object.values(sessionStorage).join(' ')")
    streams = [url for url in urls if "/events" in url]
    assert streams and all(re.search(r"/events\?ticket=[\w-]+$", url) for url in streams)
    assert token and not any(token in url for url in urls)
    for phone in phones:
        bodies = [m["body"] for m in twilio_sandbox.phone(phone)["messages"]]
        assert bodies == ["Crue : fermez vos fenetres et restez à l'abri."]

    # The same page on a phone's width: nothing overflows sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    page.screenshot(path=str(SCREENSHOTS / "bocage-console-phone.png"), full_page=True)
