"""The driver's page (phone-sized, printable as the round sheet), public static files.

It calls `/me/round`; its map is SVG drawn from the round's own geometry: no tiles.
"""

from __future__ import annotations

from pathlib import Path

from services.gateway.static_pages import page_router

router = page_router(
    "driver",
    Path(__file__).resolve().parent.parent / "driver_web",
    "The driver's round of the day (HTML); it logs in by itself. Prints as the round sheet.",
)
