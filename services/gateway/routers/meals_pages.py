"""The family's page, the dispatcher's page and the kitchen's printable sheet (public static
files; they log in by themselves and call the API, which decides what each user reaches)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from services.gateway.static_pages import page_router

FOLDER = Path(__file__).resolve().parent.parent / "meals_web"

router = APIRouter()
router.include_router(
    page_router("family", FOLDER, "A family's page: orders and today's delivery, live (HTML).")
)
router.include_router(
    page_router("dispatch", FOLDER, "The dispatcher's day: rounds, kitchen, containers (HTML).")
)
router.include_router(
    page_router("kitchen", FOLDER, "The kitchen's production sheet of a day, printable (HTML).")
)
