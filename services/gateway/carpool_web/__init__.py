"""The carpool page (/covoiturage): residents offer, search and book rides and answer bookings;
a dispatcher does the same on someone's behalf (a phone call from someone without a smartphone).
The shared script and style sheet (/pages/common.*) are served with the console.
"""

from __future__ import annotations

from pathlib import Path

from services.gateway.static_pages import page_router

router = page_router(
    "covoiturage",
    Path(__file__).resolve().parent,
    "The carpool page for residents and dispatchers (HTML); it logs in by itself.",
)
