"""The mayor's console: compose, preview, send, follow live, report (public static files)."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse

from services.gateway.roles import PUBLIC
from services.gateway.static_pages import HEADERS, MEDIA_TYPES, common_router, page_router

FOLDER = Path(__file__).resolve().parent
router = page_router("console", FOLDER, "The mayor's console (HTML); it logs in by itself.")
router.include_router(common_router())


@router.get(
    "/console/feeds.js", response_class=FileResponse, openapi_extra=PUBLIC, name="console_feeds_js"
)
def console_feeds_script() -> FileResponse:
    """The console's vigilance feeds section: outcomes of the documents read, and reading one."""
    return FileResponse(FOLDER / "console_feeds.js", media_type=MEDIA_TYPES["js"], headers=HEADERS)


@router.get(
    "/console/map.js", response_class=FileResponse, openapi_extra=PUBLIC, name="console_map_js"
)
def console_map_script() -> FileResponse:
    """The console's map: the communes' boundaries and the area of the alert being composed."""
    return FileResponse(FOLDER / "console_map.js", media_type=MEDIA_TYPES["js"], headers=HEADERS)
