"""The welfare case, step by step: contacts in turn, the keypress, the outcome, the call for
help; every step in the history with its time (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.deliveries import DeliveryFailed
from contracts.meals_events import EmergencyContact
from services.alerts.segments import analyse
from services.alerts.welfare.case import (
    CaseConflict,
    WelfareTiming,
    advance,
    case_id_for,
    close,
    in_time_order,
    next_due,
    open_case,
    opens_a_case,
    outcome_from_reply,
    receipt,
    record_outcome,
    take,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 23, 10, 40, tzinfo=UTC)  # 11h40 in Paris
TIMING = WelfareTiming(ack_delay_s=600, help_after_s=1800)
SOPHIE = EmergencyContact(name="Sophie Lefebvre", phone="+33612345678", relation="family")
VOISIN = EmergencyContact(name="M. Caron", phone="+33612345679", relation="neighbour")


def _failed(*contacts: EmergencyContact, reason: str = "no_answer") -> DeliveryFailed:
    return DeliveryFailed(
        delivery_id="d-42", commune="59350", recipient_name="Mme Lefebvre", reason=reason,
        attempted_at=T0, reported_by="driver-1", senior_id="s-1", emergency_contacts=contacts,
    )  # fmt: skip


def test_only_an_unanswered_door_opens_a_case_one_per_door_and_local_day() -> None:
    assert opens_a_case(_failed(SOPHIE))
    assert not opens_a_case(_failed(SOPHIE, reason="refused"))
    assert case_id_for(_failed(SOPHIE)) == "welfare:d-42:2026-11-23"


def test_the_first_contact_is_called_and_texted_in_french_at_once() -> None:
    change = open_case(_failed(SOPHIE, VOISIN), T0, TIMING)

    assert change.opened and change.case.current_contact == 0
    call, sms = change.notices
    assert (call.channel, call.to, call.contact_index) == ("voice", SOPHIE.phone, 0)
    assert "Mme Lefebvre n'a pas ouvert" in call.text and "appuyez sur 1" in call.prompt
    assert sms.channel == "sms" and "11h40" in sms.text
    assert analyse(sms.text).encoding == "GSM-7" and analyse(sms.text).segments <= 2
    assert [s.kind for s in change.case.history] == ["opened", "contact_called", "contact_texted"]
    assert next_due(change.case) == T0 + timedelta(minutes=10)


def test_a_silent_contact_hands_over_to_the_next_after_the_delay_and_not_before() -> None:
    case = open_case(_failed(SOPHIE, VOISIN), T0, TIMING).case

    early = advance(case, T0 + timedelta(minutes=9), TIMING)
    later = advance(case, T0 + timedelta(minutes=10), TIMING)
    again = advance(later.case, T0 + timedelta(minutes=10, seconds=1), TIMING)

    assert early.notices == () and early.case == case
    assert [n.to for n in later.notices] == [VOISIN.phone, VOISIN.phone]
    assert later.case.current_contact == 1
    assert [s.kind for s in later.steps] == ["no_acknowledgement", "contact_called",
                                             "contact_texted"]  # fmt: skip
    assert again.notices == ()  # the clock ticking again calls nobody twice


def test_the_second_contact_presses_1_and_records_the_outcome() -> None:
    case = open_case(_failed(SOPHIE, VOISIN), T0, TIMING).case
    case = advance(case, T0 + timedelta(minutes=10), TIMING).case

    taken = take(case, "M. Caron (touche 1)", T0 + timedelta(minutes=11), contact=1).case
    done = record_outcome(
        taken, "M. Caron (touche 1)", "hospitalised", "CHU", T0 + timedelta(minutes=30)
    ).case

    assert taken.status == "taken" and next_due(taken) is None
    assert done.outcome == "hospitalised"
    last = done.history[-1]
    assert last.kind == "outcome_recorded" and last.detail == "hospitalisé : CHU"
    times = [s.at for s in done.history]
    assert times == sorted(times)


def test_nobody_reached_in_time_flags_the_case_for_the_dispatcher_once() -> None:
    case = open_case(_failed(SOPHIE), T0, TIMING).case
    after_last = advance(case, T0 + timedelta(minutes=10), TIMING)

    assert after_last.case.help_needed and after_last.notices == ()
    assert after_last.steps[-1].kind == "help_needed"
    assert next_due(after_last.case) is None
    assert advance(after_last.case, T0 + timedelta(hours=1), TIMING).steps == ()


def test_with_many_contacts_the_help_deadline_still_flags_while_calls_go_on() -> None:
    contacts = [EmergencyContact(name=f"C{i}", phone=f"+3361234560{i}") for i in range(5)]
    case = open_case(_failed(*contacts), T0, TIMING).case
    for minutes in (10, 20, 30):
        case = advance(case, T0 + timedelta(minutes=minutes), TIMING).case

    assert case.help_needed and case.current_contact == 3
    assert next_due(case) == T0 + timedelta(minutes=40)


def test_no_contact_at_all_flags_for_help_at_once() -> None:
    change = open_case(_failed(), T0, TIMING)
    assert change.case.help_needed and change.notices == ()


def test_a_taken_case_has_one_owner_and_a_closed_case_takes_nothing() -> None:
    case = open_case(_failed(SOPHIE), T0, TIMING).case
    taken = take(case, "dispatcher-1", T0).case

    assert take(taken, "dispatcher-1", T0).case == taken
    with pytest.raises(CaseConflict, match="already taken by dispatcher-1"):
        take(taken, "dispatcher-2", T0)
    closed = close(taken, "dispatcher-1", "", T0)
    assert closed.closed and closed.case.closed_at == T0
    assert not close(closed.case, "dispatcher-1", "", T0).closed
    with pytest.raises(CaseConflict, match="closed"):
        record_outcome(closed.case, "dispatcher-1", "found_well", "", T0)


def test_the_contact_who_presses_1_is_texted_how_to_reply_with_the_outcome() -> None:
    case = open_case(_failed(SOPHIE, VOISIN), T0, TIMING).case

    by_phone = take(case, "Sophie Lefebvre (touche 1)", T0, contact=0)
    by_dispatcher = take(case, "dispatcher-1", T0)

    (sms,) = by_phone.notices
    assert sms.to == SOPHIE.phone and by_phone.taker_phone == SOPHIE.phone
    assert "4 retrouvé bien" in sms.text and analyse(sms.text).encoding == "GSM-7"
    assert by_dispatcher.notices == () and by_dispatcher.taker_phone is None
    assert [outcome_from_reply(t) for t in ("4", " 1. ", "3 elle est tombée", "bonjour", "")] == [
        "found_well", "hospitalised", "needs_help", None, None,
    ]  # fmt: skip


def test_the_providers_final_receipts_are_written_once_in_the_history() -> None:
    case = open_case(_failed(SOPHIE, VOISIN), T0, TIMING).case
    later = T0 + timedelta(seconds=20)
    # On the way (queued, sent, ringing): not worth a line.
    assert receipt(case, 0, "sms", "sent", later) is None
    assert receipt(case, 0, "voice", "ringing", later) is None
    texted = receipt(case, 0, "sms", "undelivered", later, error="30003")
    assert texted is not None
    (step,) = texted.steps
    assert (step.kind, step.contact_index, step.actor) == ("delivery_receipt", 0, "provider")
    assert step.detail == "SMS à Sophie Lefebvre : non remis (erreur 30003)"
    # The provider repeats its callback: nothing more.
    assert receipt(texted.case, 0, "sms", "undelivered", later, error="30003") is None
    called = receipt(texted.case, 1, "voice", "completed", later, duration_s="35")
    assert called is not None and called.steps[0].detail == "Appel à M. Caron : décroché (35 s)"
    assert receipt(case, 1, "voice", "no-answer", later).steps[0].detail.endswith("pas de réponse")  # type: ignore[union-attr]
    # A case whose contacts were erased still says which turn it was, never a name.
    erased = case.model_copy(update={"contacts": ()})
    assert (
        receipt(erased, 1, "sms", "delivered", later).steps[0].detail
        == "SMS à contact n° 2 : remis"
    )  # type: ignore[union-attr]


def test_receipts_decided_side_by_side_still_read_in_time_order() -> None:
    case = open_case(_failed(SOPHIE, VOISIN), T0, TIMING).case
    second = T0 + timedelta(seconds=20, microseconds=300)
    first = T0 + timedelta(seconds=20)
    # The later receipt was stored first: another worker's earlier one lands after it.
    stored = receipt(case, 0, "sms", "delivered", second)
    assert stored is not None
    both = receipt(stored.case, 1, "sms", "undelivered", first, error="30003")
    assert both is not None
    times = [step.at for step in in_time_order(both.case).history]
    assert times == sorted(times) and times != [step.at for step in both.case.history]
