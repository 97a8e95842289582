"""Where the alerts service keeps a campaign's recipients in Redis: one layout, for the store and
for the status receiver, which updates them in bulk outside it. Pure."""

from __future__ import annotations

PREFIX = "alerts"


def tenant_key(tenant: str, *parts: str) -> str:
    return ":".join((PREFIX, tenant, *parts))


def message_key(tenant: str, campaign_id: str, number: int, *parts: str) -> str:
    """A key of one message of a campaign (recipients, counts, queue...)."""
    return tenant_key(tenant, "c", campaign_id, f"m{number}", *parts)


def recipient_keys(tenant: str, campaign_id: str, number: int, key: str) -> tuple[str, str]:
    """A recipient's state key and its campaign message's counts key."""
    return message_key(tenant, campaign_id, number, "r", key), message_key(
        tenant, campaign_id, number, "counts"
    )


def receipts_due_key(deployment: str) -> str:
    """Sent SMS and calls still waiting for their final status, by when to ask the provider
    (`receipt_chase.py`); each member is the recipient's state key."""
    return f"{PREFIX}:_:{deployment}:receipts-due"


def notice_member(tenant: str, key: str) -> str:
    """A welfare, family or transactional notice in `receipts_due_key` (beside state keys)."""
    return f"notice|{tenant}|{key}"


def notice_of_member(member: str) -> tuple[str, str] | None:
    """(tenant, notice key) back from `notice_member`; None for anything else."""
    kind, _, rest = member.partition("|")
    tenant, _, key = rest.partition("|")
    return (tenant, key) if kind == "notice" and tenant and key else None


def recipient_of_state_key(state_key: str) -> tuple[str, str, int, str] | None:
    """(tenant, campaign, message number, recipient key) back from a state key; None when the
    key is not one (`message_key(...)` with `r`)."""
    parts = state_key.split(":", 6)
    if len(parts) != 7 or parts[0] != PREFIX or parts[2] != "c" or parts[5] != "r":
        return None
    number = parts[4]
    if not (number.startswith("m") and number[1:].isdigit()):
        return None
    return parts[1], parts[3], int(number[1:]), parts[6]
