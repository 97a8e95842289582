"""What erasing a senior (RGPD) keeps of their meals. Pure.

The profile, contacts, families, door notes, address, point, history and any order not
delivered go. A meal already delivered stays only as an anonymous order (a random token in place
of the senior, no name, no address, no point), so that the day's kitchen sheet and counts still
add up; the token is not derived from the senior's id, so it cannot be traced back.
"""

from __future__ import annotations

import secrets
from typing import Any

from contracts.meals import Order

ERASED_BY = "erased"


def anonymous_token() -> str:
    return f"anonyme-{secrets.token_hex(6)}"


def kept_order(order: Order, delivered: bool, token: str) -> Order | None:
    """The anonymous count that stays of an order, or None when the order goes entirely."""
    if not delivered or order.status != "placed":
        return None
    return order.model_copy(update={"senior_id": token, "changed_by": ERASED_BY})


# Fields of a stop or a delivery (in a plan, its request, its skipped and unserved lists) that
# say who the senior is or where they live.
_NAMING = ("recipient_name", "name", "address", "door_notes", "senior_first_name")


def scrubbed(value: Any, delivery: str, anonymous: str, kitchen: list[float]) -> Any:
    """A stored plan or request (JSON) where the erased senior's delivery is anonymous: its id is
    the token's, its name and address are blank and its point is the kitchen's (the round's
    counts and order stay). The road geometry is left as it is: it follows the roads."""
    if isinstance(value, list):
        return [scrubbed(v, delivery, anonymous, kitchen) for v in value]
    if isinstance(value, dict):
        out = {k: scrubbed(v, delivery, anonymous, kitchen) for k, v in value.items()}
        if value.get("id") == delivery:
            out.update({k: "" for k in _NAMING if k in value})
            if "location" in value:
                out["location"] = list(kitchen)
        return {(anonymous if k == delivery else k): v for k, v in out.items()}
    if value == delivery:
        return anonymous
    return value
