"""Every page gets the shared head and login form put in where it says, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.gateway.page_parts import UnknownPart, assemble, load_parts

GATEWAY = Path(__file__).resolve().parents[3] / "services" / "gateway"
PAGES = {
    "console": GATEWAY / "web" / "console.html",
    "driver": GATEWAY / "driver_web" / "driver.html",
    "family": GATEWAY / "meals_web" / "family.html",
    "dispatch": GATEWAY / "meals_web" / "dispatch.html",
    "kitchen": GATEWAY / "meals_web" / "kitchen.html",
    "covoiturage": GATEWAY / "carpool_web" / "covoiturage.html",
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_page_has_its_own_script_and_style_and_one_login_form(page: str) -> None:
    html = assemble(PAGES[page].read_text(encoding="utf-8"), page, load_parts())

    assert "<!-- part:" not in html
    head = html[html.index("<head>") : html.index("</head>")]
    assert head.index('<meta charset="utf-8">') < head.index("<title>")
    for link in ("/pages/common.css", f"/{page}/{page}.css", "/pages/common.js",
                 f"/{page}/{page}.js"):  # fmt: skip
        assert f'"{link}"' in head, link
    assert head.index("/pages/common.js") < head.index(f"/{page}/{page}.js")  # the client first
    assert html.count('<form id="login-form"') == 1
    login = html[html.index('<section id="login-view"') :]
    assert login.index('<form id="login-form"') < login.index("</section>")


def test_a_page_asking_for_a_part_that_does_not_exist_is_refused_when_loaded() -> None:
    with pytest.raises(UnknownPart, match="'footer'"):
        assemble("<body>\n  <!-- part: footer -->\n</body>\n", "x", load_parts())
