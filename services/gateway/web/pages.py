"""The mayor's console: compose, preview, send, follow live, report (public static files)."""

from __future__ import annotations

from pathlib import Path

from services.gateway.static_pages import common_router, page_router

router = page_router(
    "console", Path(__file__).resolve().parent, "The mayor's console (HTML); it logs in by itself."
)
router.include_router(common_router())
