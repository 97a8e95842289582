"""Serves the mayor's console: one HTML page, its script and its style sheet (public files).

The page holds no data: it logs in through `/auth/login` and calls the API with the token. The
Content-Security-Policy allows only this origin, so no external or inline script can run.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from services.gateway.roles import PUBLIC

router = APIRouter(tags=["pages"])
HERE = Path(__file__).resolve().parent
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _file(name: str, media_type: str) -> FileResponse:
    return FileResponse(HERE / name, media_type=media_type, headers=HEADERS)


@router.get("/console", response_class=FileResponse, openapi_extra=PUBLIC)
def console() -> FileResponse:
    """The mayor's console (HTML); it logs in by itself."""
    return _file("console.html", "text/html; charset=utf-8")


@router.get("/console/console.js", response_class=FileResponse, openapi_extra=PUBLIC)
def console_script() -> FileResponse:
    return _file("console.js", "text/javascript; charset=utf-8")


@router.get("/console/console.css", response_class=FileResponse, openapi_extra=PUBLIC)
def console_style() -> FileResponse:
    return _file("console.css", "text/css; charset=utf-8")
