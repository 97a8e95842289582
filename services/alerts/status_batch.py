"""Status callbacks recorded many at once: one Lua call for a batch, a stream for the rest.

A big campaign brings two or three status callbacks per message (`sent`, `delivered`), thousands
a second. Most only move an SMS recipient's status forward, which one script can do for a whole
batch in one round trip, with the rules `recipient_states.merge` applies one by one (statuses
never go back, a blank SID or error does not erase a known one) and the campaign's counts moved
in the same step.

The rest needs the alerts service's judgement and is *deferred*: written, as received, to a Redis
stream that the service applies with the same code as the `twilio_webhook` RPC
(`status_intake.py`). Deferred are an SMS that did not arrive (it may call the person instead),
every call status (recalls, `needs_human`), and the welfare and family notices' receipts. Either
way the callback is stored before the provider gets its answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.alerts.delivery_policy import SMS_NOT_ARRIVED
from services.alerts.keys import recipient_keys
from services.alerts.recipient_states import FINAL_RANK, RANK_JSON
from services.alerts.webhooks import RecipientRef

STREAM_GROUP = "alerts"

# KEYS[1]: the sends awaiting a final status (a final one takes its recipient off). ARGV[1]:
# statuses' ranks; ARGV[2]: now; ARGV[3]: statuses to defer; ARGV[4]: the final rank; then five
# values per callback: the recipient's state key, its campaign message's counts key, status,
# SID, error. Returns one outcome per callback: 'applied', 'defer' (nothing changed) or
# 'missing'.
APPLY_SCRIPT = """
local rank = cjson.decode(ARGV[1])
local deferred = cjson.decode(ARGV[3])
local out = {}
local moved = {}
local final = tonumber(ARGV[4])
for i = 5, #ARGV, 5 do
  local raw = redis.call('GET', ARGV[i])
  local outcome = 'missing'
  if raw then
    local state = cjson.decode(raw)
    local new = ARGV[i + 2]
    if state['channel'] ~= 'sms' or deferred[new] then
      outcome = 'defer'
    else
      outcome = 'applied'
      local old = state['status']
      if (rank[new] or 0) >= (rank[old] or 0) then state['status'] = new end
      if ARGV[i + 3] ~= '' then state['sid'] = ARGV[i + 3] end
      if ARGV[i + 4] ~= '' then state['error'] = ARGV[i + 4] end
      state['updated_at'] = ARGV[2]
      redis.call('SET', ARGV[i], cjson.encode(state))
      if state['status'] ~= old then
        if (rank[state['status']] or 0) >= final then redis.call('ZREM', KEYS[1], ARGV[i]) end
        local counts = moved[ARGV[i + 1]] or {}
        counts[old] = (counts[old] or 0) - 1
        counts[state['status']] = (counts[state['status']] or 0) + 1
        moved[ARGV[i + 1]] = counts
      end
    end
  end
  out[#out + 1] = outcome
end
for key, counts in pairs(moved) do
  for status, n in pairs(counts) do
    if n ~= 0 then redis.call('HINCRBY', key, status, n) end
  end
end
return out
"""
_DEFERRED_JSON = json.dumps({status: True for status in sorted(SMS_NOT_ARRIVED)})


@dataclass(frozen=True)
class StatusCallback:
    """A status callback as the provider signed it: the URL it called, its form, its signature."""

    url: str
    params: dict[str, str]
    signature: str


def stream_key(deployment: str) -> str:
    """The deferred callbacks of one deployment (`deployment_of`; all its tenants: the URL names
    the tenant)."""
    return f"alerts:_:{deployment}:status-callbacks"


def state_keys(recipient: RecipientRef) -> tuple[str, str]:
    return recipient_keys(recipient.tenant, recipient.campaign_id, recipient.number, recipient.key)


def apply_arguments(batch: Sequence[tuple[RecipientRef, dict[str, str]]]) -> list[str]:
    """The script's ARGV for these (recipient, form) pairs. Pure."""
    now = datetime.now(UTC).isoformat()
    args = [RANK_JSON, now, _DEFERRED_JSON, str(FINAL_RANK)]
    for recipient, params in batch:
        state, counts = state_keys(recipient)
        status = params.get("MessageStatus") or params.get("SmsStatus") or ""
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        args += [state, counts, status, sid, params.get("ErrorCode") or ""]
    return args


def stream_fields(callback: StatusCallback) -> dict[str, str]:
    return {
        "url": callback.url,
        "params": json.dumps(callback.params),
        "signature": callback.signature,
    }


def callback_from_fields(fields: dict[str, Any]) -> StatusCallback:
    """A deferred callback back from the stream; ValueError when the entry is unreadable."""
    try:
        params = json.loads(fields["params"])
        return StatusCallback(str(fields["url"]), dict(params), str(fields["signature"]))
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"unreadable deferred callback: {error}") from None
