"""The alerts service's state in Redis, under `alerts:<tenant>:`.

Contacts and opt-outs; campaigns; per campaign message, one key per recipient holding its state,
a queue of recipients still to send, the list of those being sent right now (`inflight`, for crash
recovery), a retry schedule, and status counts for live progress; the audit trail as a stream.
One module per aggregate in `stores/`, each with its own Lua scripts; `AlertsStore` is all of
them over one connection, as the service and its processes use it.
"""

from __future__ import annotations

from services.alerts.stores.audit import AuditStore
from services.alerts.stores.campaigns import CampaignStore
from services.alerts.stores.contacts import ContactStore
from services.alerts.stores.escalations import EscalationStore
from services.alerts.stores.feeds import FeedStore
from services.alerts.stores.opt_outs import OptOutStore
from services.alerts.stores.receipts import ReceiptStore
from services.alerts.stores.recipients import RecipientStore
from services.alerts.stores.retention import RetentionStore
from services.alerts.stores.send_queue import SendQueueStore


class AlertsStore(
    EscalationStore,
    ContactStore,
    OptOutStore,
    CampaignStore,
    RetentionStore,
    SendQueueStore,
    RecipientStore,
    ReceiptStore,
    FeedStore,
    AuditStore,
):
    """Every aggregate of the alerts service's state, over one Redis connection."""
