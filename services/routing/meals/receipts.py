"""Pure: the line a family SMS's delivery receipt writes into the senior's history."""

from __future__ import annotations

from contracts.meals_events import FamilySmsReceipt
from services.routing.meals.day import day_of_delivery

WHAT = {"approaching": "le repas arrive", "delivered": "repas livré"}
OUTCOME = {"delivered": "remis", "undelivered": "non remis", "failed": "pas envoyé"}


def receipt_line(receipt: FamilySmsReceipt) -> str:
    """ "2026-12-10: SMS « repas livré » à anne : remis" (or non remis, with the error)."""
    day = day_of_delivery(receipt.delivery_id)
    line = f"SMS « {WHAT[receipt.kind]} » à {receipt.username} : {OUTCOME[receipt.status]}"
    if receipt.error_code:
        line += f" (erreur {receipt.error_code})"
    return f"{day}: {line}" if day else line
