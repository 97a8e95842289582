"""After a crash: what a dead instance (its lease expired) left in flight, or what this one
forgot (Redis lost the write that released it), is settled: requeued if it never left, recorded
if the provider has it (asked by number and text, or number and time). Mixed into
`CampaignSender`, which provides the store, the channel, its owner name and its caches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from contracts.alerts import Campaign
from services.alerts.recipient_states import is_final

if TYPE_CHECKING:
    from services.alerts.sender import SenderConfig
    from services.alerts.store import AlertsStore


class SenderRecovery:
    store: AlertsStore
    config: SenderConfig
    owner: str
    _delivering: set[tuple[str, str, int, str]]
    _campaign: Any
    _find_sent: Any
    _chase_at: Any

    def recover(self) -> int:
        """Settle every recipient left in flight by a dead instance (its lease expired) or
        forgotten by this one (Redis lost the write that released it); returns how many."""
        settled = 0
        alive: dict[str, bool] = {self.owner: True}
        for tenant, campaign_id, number in self.store.active_messages():
            campaign = self._campaign(tenant, campaign_id, refresh=True)
            if campaign is None or number > len(campaign.messages):
                continue
            for key, owner in self.store.inflight(tenant, campaign_id, number).items():
                if owner == self.owner:
                    if (tenant, campaign_id, number, key) in self._delivering:
                        continue
                else:
                    if owner not in alive:
                        alive[owner] = self.store.is_alive(owner)
                    if alive[owner]:
                        continue  # a live instance is sending it
                    if not self._request_over(tenant, campaign_id, number, key):
                        continue  # its request may still be on the wire: settle it later
                    if not self.store.take_over(
                        tenant, campaign_id, number, key, owner, self.owner
                    ):
                        continue
                self._settle(tenant, campaign, number, key)
                settled += 1
        return settled

    def _request_over(self, tenant: str, campaign_id: str, number: int, key: str) -> bool:
        """False while a recipient's request to the provider may still be under way."""
        state = self.store.state(tenant, campaign_id, number, key)
        if state is None or state.status != "sending" or state.claimed_at is None:
            return True
        began = state.claimed_at
        return datetime.now(UTC) - began >= timedelta(seconds=self.config.settle_after_s)

    def _settle(self, tenant: str, campaign: Campaign, number: int, key: str) -> None:
        cid = campaign.campaign_id
        state = self.store.state(tenant, cid, number, key)
        if state is None or is_final(state.status) or state.status not in {"pending", "sending"}:
            self.store.release(tenant, cid, number, key)
            return
        if state.status == "pending":
            self.store.requeue(tenant, cid, number, key)
            return
        # `sending`: the request may or may not have reached the provider. Ask it.
        claimed = state.unsure_since or state.claimed_at or state.updated_at or datetime.now(UTC)
        sid = self._find_sent(campaign.messages[number - 1], state, claimed)
        if sid is not None:  # it left: recorded, and its receipt awaited like any other
            self.store.finish_send(tenant, cid, number, key, "accepted", sid, self._chase_at())
        else:
            self.store.update_state(tenant, cid, number, key, {"status": "pending", "reopen": True})
            self.store.requeue(tenant, cid, number, key)
