"""Sends still waiting for their final status, by when to ask the provider about them.

`finish_send` / `finish_many` (recipients.py) put a recipient here as its SMS or call is
accepted; a final status, however it arrives (the status receiver's batch, `update_state`),
takes it off. What is left when its time comes was never told to us: `receipt_chase.py` asks.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

from contracts.alerts import RecipientState
from services.alerts.keys import receipts_due_key
from services.alerts.stores.base import TAKE_DUE, StoreBase


class ReceiptStore(StoreBase):
    SCRIPTS = {"_take_due_receipts": TAKE_DUE}

    def take_due_receipts(self, now: float, lease_s: float, batch: int) -> list[str]:
        """Up to `batch` recipients (their state keys) whose time to ask has come, each leased
        to the caller until `now + lease_s` (then due again, should it die asking)."""
        taken = self._take_due_receipts(
            keys=[receipts_due_key(self.deployment)], args=[now, now + lease_s, batch]
        )
        return [str(member) for member in taken]

    def states_at(self, state_keys: list[str]) -> list[RecipientState | None]:
        """The recipients' states, in order, in one round trip (None: gone, erased)."""
        raws = self.client.mget(state_keys) if state_keys else []
        return [RecipientState.model_validate_json(raw) if raw else None for raw in raws]

    def chase_receipt_at(self, state_key: str, at: float) -> None:
        self.client.zadd(receipts_due_key(self.deployment), {state_key: at})

    def stop_chasing(self, state_keys: list[str]) -> None:
        if state_keys:
            self.client.zrem(receipts_due_key(self.deployment), *state_keys)

    def receipts_awaited(self) -> int:
        return int(self.client.zcard(receipts_due_key(self.deployment)))
