"""Pages in real headless Chromium (Debian's `chromium`, driven by playwright's Python package).

The gateway, the services and the Twilio sandbox are those of the gateway integration tests:
their fixtures are imported here, so the page talks to a real uvicorn that the sandbox calls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.integration.gateway.conftest import (  # noqa: F401 - fixtures used by the tests
    _forget_tenant,
    live_gateway,
    public_gateway_port,
    redis_conn,
    role_users,
    services_amqp_uri,
    store,
    twilio_sandbox,
    vhosts,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Package scope, not session: playwright's sync API keeps an asyncio loop running in this thread
# while it lives, and tests after these ones call asyncio.run (which refuses inside a running loop).
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `apt-get install chromium`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()
