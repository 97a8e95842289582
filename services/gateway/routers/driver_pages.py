"""The driver's page (phone-sized, printable as the round sheet): static files, public.

The page holds no data: it logs in through `/auth/login`, keeps the token in sessionStorage and
calls `/me/round`. The map is SVG drawn by the page from the round's own geometry, so the
Content-Security-Policy admits nothing but this origin: no tiles, no CDN, no inline script.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from services.gateway.roles import PUBLIC

router = APIRouter(tags=["pages"])
FILES = Path(__file__).resolve().parent.parent / "driver_web"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _file(name: str, media_type: str) -> FileResponse:
    return FileResponse(FILES / name, media_type=media_type, headers=HEADERS)


@router.get("/driver", response_class=FileResponse, openapi_extra=PUBLIC)
def driver_page() -> FileResponse:
    """The driver's round of the day (HTML); it logs in by itself. Prints as the round sheet."""
    return _file("driver.html", "text/html; charset=utf-8")


@router.get("/driver/driver.js", response_class=FileResponse, openapi_extra=PUBLIC)
def driver_script() -> FileResponse:
    return _file("driver.js", "text/javascript; charset=utf-8")


@router.get("/driver/driver.css", response_class=FileResponse, openapi_extra=PUBLIC)
def driver_style() -> FileResponse:
    return _file("driver.css", "text/css; charset=utf-8")
