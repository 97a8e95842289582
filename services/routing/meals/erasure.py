"""What erasing a senior (RGPD) keeps of their meals. Pure.

The profile, contacts, families, door notes, address, point, history and any order not
delivered go. A meal already delivered stays only as an anonymous order (a random token in place
of the senior, no name, no address, no point), so that the day's kitchen sheet and counts still
add up; the token is not derived from the senior's id, so it cannot be traced back.
"""

from __future__ import annotations

import secrets

from contracts.meals import Order

ERASED_BY = "erased"


def anonymous_token() -> str:
    return f"anonyme-{secrets.token_hex(6)}"


def kept_order(order: Order, delivered: bool, token: str) -> Order | None:
    """The anonymous count that stays of an order, or None when the order goes entirely."""
    if not delivered or order.status != "placed":
        return None
    return order.model_copy(update={"senior_id": token, "changed_by": ERASED_BY})
