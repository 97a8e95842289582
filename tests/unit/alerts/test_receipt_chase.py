"""When the provider is asked of a send whose receipt never came, and what its answer becomes."""

from __future__ import annotations

import pytest

from services.alerts.channels.twilio import ProviderStatus
from services.alerts.keys import (
    message_key,
    notice_member,
    notice_of_member,
    recipient_of_state_key,
)
from services.alerts.receipt_chase import MAX_GAP_S, ChasePolicy, callback_params, next_ask_at

POLICY = ChasePolicy(first_after_s=300, give_up_s=86400)


def test_questions_come_less_and_less_often_and_at_least_every_four_first_waits() -> None:
    sent = 1_000_000.0
    first = sent + 300
    second = next_ask_at(sent, first, POLICY)
    third = next_ask_at(sent, second, POLICY)
    fourth = next_ask_at(sent, third, POLICY)
    assert (second - first, third - second, fourth - third) == (300, 600, 1200)
    assert next_ask_at(sent, sent + 20 * 3600, POLICY) == sent + 20 * 3600 + 1200
    slow = ChasePolicy(first_after_s=1800, give_up_s=86400)
    assert next_ask_at(sent, sent + 20 * 3600, slow) == sent + 20 * 3600 + MAX_GAP_S


def test_the_answer_reads_as_the_callback_would_have() -> None:
    assert callback_params("sms", "SM1", ProviderStatus("undelivered", "30003")) == {
        "MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003",
    }  # fmt: skip
    assert callback_params("voice", "CA1", ProviderStatus("no-answer")) == {
        "CallSid": "CA1", "CallStatus": "no-answer",
    }  # fmt: skip


def test_a_state_key_names_its_recipient_back() -> None:
    key = message_key("t-1", "cmp-9", 2, "r", "p1:+33612345678:sms")
    assert recipient_of_state_key(key) == ("t-1", "cmp-9", 2, "p1:+33612345678:sms")


@pytest.mark.parametrize(
    "key",
    ["alerts:t-1:c:cmp-9:m2:counts", "alerts:t-1:c:cmp-9:mx:r:k", "other:t-1:c:cmp-9:m2:r:k", ""],
)
def test_anything_else_names_no_recipient(key: str) -> None:
    assert recipient_of_state_key(key) is None


def test_a_notice_is_named_back_from_its_place_in_the_schedule() -> None:
    member = notice_member("t-1", "family:d-42:delivered:anne")
    assert notice_of_member(member) == ("t-1", "family:d-42:delivered:anne")
    assert notice_of_member(message_key("t-1", "cmp-9", 2, "r", "k")) is None
    assert recipient_of_state_key(member) is None
