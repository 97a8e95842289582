"""Pure: the welfare case's state machine.

A case opens when a driver finds nobody at the door (`delivery_failed`, reason `no_answer`). Each
emergency contact in turn gets a call (press 1 = "je m'en occupe") and an SMS; without an
acknowledgement before `ack_delay_s` the next one is tried. Whoever takes the case records the
outcome; if nobody is reached within `help_after_s` (or nobody is left to try) the case is flagged
for the dispatcher to call for help. Bocage never calls emergency services itself.

Every function takes the case and `now` and returns a new case (and the notices to send); nothing
here reads a clock or does I/O, so a restarted service replays the same steps from Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from contracts.deliveries import DeliveryFailed
from contracts.welfare import (
    OUTCOME_LABELS,
    WelfareCase,
    WelfareOutcome,
    WelfareStep,
    WelfareStepKind,
)
from services.alerts.welfare.notices import Notice

PARIS = ZoneInfo("Europe/Paris")


class CaseConflict(ValueError):
    """The action does not fit the case's state (closed, taken by someone else...)."""


@dataclass(frozen=True)
class WelfareTiming:
    ack_delay_s: float = 600.0  # a contact's turn, without acknowledgement
    help_after_s: float = 1800.0  # nobody reached by then: the dispatcher calls for help


@dataclass(frozen=True)
class CaseChange:
    case: WelfareCase
    notices: tuple[Notice, ...] = ()
    opened: bool = False
    closed: bool = False
    steps: tuple[WelfareStep, ...] = field(default=())
    # A contact took the case by keypress: their SMS replies (1-4) record the outcome.
    taker_phone: str | None = None


def opens_a_case(event: DeliveryFailed) -> bool:
    """Only an unanswered door is a welfare matter; a refusal or a wrong address is not."""
    return event.reason == "no_answer"


def case_id_for(event: DeliveryFailed) -> str:
    # The business key, as for escalations: a redelivered event or a second report of the same
    # door that day lands on the same case.
    return f"welfare:{event.delivery_id}:{local_day(event.attempted_at)}"


def local_day(at: datetime) -> str:
    return at.astimezone(PARIS).date().isoformat()


def _clock(at: datetime) -> str:
    local = at.astimezone(PARIS)
    return f"{local.hour}h{local.minute:02d}"


def in_time_order(case: WelfareCase) -> WelfareCase:
    """The case with its history in time order. Two changes decided side by side (two receipts
    at once) may be stored in the other order than their times; the history reads by time."""
    history = tuple(sorted(case.history, key=lambda step: step.at))  # stable: ties keep order
    return case if history == case.history else case.model_copy(update={"history": history})


def _step(
    kind: WelfareStepKind,
    at: datetime,
    *,
    contact: int | None = None,
    actor: str | None = "system",
    detail: str = "",
) -> WelfareStep:
    return WelfareStep(at=at, kind=kind, contact_index=contact, actor=actor, detail=detail)


def contact_texts(case: WelfareCase) -> tuple[str, str, str]:
    """(voice text, keypress prompt, SMS text) for a contact, in French; the SMS is GSM-7."""
    when = _clock(case.attempted_at)
    voice = (
        f"Bonjour, ici le portage de repas de Bocage. {case.senior_name} n'a pas ouvert la porte "
        f"au livreur aujourd'hui à {when}."
    )
    prompt = "Si vous vous en occupez, appuyez sur 1."
    sms = (
        f"Bocage : {case.senior_name} n'a pas ouvert au livreur de repas à {when}. "
        "Pouvez-vous vérifier ? Nous vous appelons : tapez 1 pour vous en occuper."
    )
    return voice, prompt, sms


def _notices_for(case: WelfareCase, index: int) -> tuple[Notice, ...]:
    contact = case.contacts[index]
    voice, prompt, sms = contact_texts(case)
    base = f"{case.case_id}:{index}"
    return (
        Notice(
            key=f"{base}:voice",
            to=contact.phone,
            channel="voice",
            text=voice,
            prompt=prompt,
            case_id=case.case_id,
            contact_index=index,
        ),
        Notice(key=f"{base}:sms", to=contact.phone, channel="sms", text=sms),
    )


def open_case(
    event: DeliveryFailed, now: datetime, timing: WelfareTiming, *, case_id: str | None = None
) -> CaseChange:
    case = WelfareCase(
        case_id=case_id or case_id_for(event),
        delivery_id=event.delivery_id,
        senior_id=event.senior_id,
        senior_name=event.recipient_name,
        commune=event.commune,
        day=local_day(event.attempted_at),
        reported_by=event.reported_by,
        attempted_at=event.attempted_at,
        opened_at=now,
        contacts=event.emergency_contacts,
        help_deadline=now + timedelta(seconds=timing.help_after_s),
        history=(
            _step(
                "opened",
                now,
                actor=event.reported_by or "system",
                detail=f"personne à la porte à {_clock(event.attempted_at)}",
            ),
        ),
    )
    moved = _try_contact(case, 0, now, timing)
    return CaseChange(moved.case, moved.notices, opened=True, steps=moved.case.history)


def _try_contact(case: WelfareCase, index: int, now: datetime, timing: WelfareTiming) -> CaseChange:
    """Move to contact `index`: call and text them; past the last contact, flag for help."""
    if index >= len(case.contacts):
        moved = case.model_copy(update={"current_contact": None, "contact_deadline": None})
        return _flag_for_help(moved, now, "plus aucun contact à appeler")
    contact = case.contacts[index]
    steps = (
        _step("contact_called", now, contact=index, detail=f"{contact.name} ({contact.relation})"),
        _step("contact_texted", now, contact=index, detail=contact.name),
    )
    moved = case.model_copy(
        update={
            "current_contact": index,
            "contact_deadline": now + timedelta(seconds=timing.ack_delay_s),
            "history": case.history + steps,
        }
    )
    return CaseChange(moved, _notices_for(moved, index), steps=steps)


def _flag_for_help(case: WelfareCase, now: datetime, why: str) -> CaseChange:
    if case.help_needed:
        return CaseChange(case)
    step = _step("help_needed", now, detail=f"{why} : au régulateur d'appeler les secours")
    flagged = case.model_copy(update={"help_needed": True, "history": (*case.history, step)})
    return CaseChange(flagged, steps=(step,))


def advance(case: WelfareCase, now: datetime, timing: WelfareTiming) -> CaseChange:
    """Take every step due by `now`: next contact after a silent turn, help past the deadline."""
    if case.status != "calling":
        return CaseChange(case)
    notices: list[Notice] = []
    steps: list[WelfareStep] = []
    current = case
    deadline, index = current.contact_deadline, current.current_contact
    if index is not None and deadline is not None and now >= deadline:
        silent = _step(
            "no_acknowledgement", now, contact=index, detail=current.contacts[index].name
        )
        current = current.model_copy(update={"history": (*current.history, silent)})
        steps.append(silent)
        moved = _try_contact(current, index + 1, now, timing)
        current = moved.case
        notices.extend(moved.notices)
        steps.extend(moved.steps)
    if now >= current.help_deadline:
        flagged = _flag_for_help(current, now, "personne n'a pris le cas à temps")
        current = flagged.case
        steps.extend(flagged.steps)
    return CaseChange(current, tuple(notices), steps=tuple(steps))


# The provider's final statuses, as a dispatcher reads them; the others (queued, sent, ringing,
# in-progress...) are on the way and not worth a line.
RECEIPT_LABELS = {
    ("sms", "delivered"): "remis",
    ("sms", "undelivered"): "non remis",
    ("sms", "failed"): "pas envoyé",
    ("voice", "completed"): "décroché",
    ("voice", "busy"): "occupé",
    ("voice", "no-answer"): "pas de réponse",
    ("voice", "failed"): "appel impossible",
    ("voice", "canceled"): "appel annulé",
}


def receipt(
    case: WelfareCase,
    contact: int,
    channel: str,
    status: str,
    now: datetime,
    *,
    error: str | None = None,
    duration_s: str | None = None,
) -> CaseChange | None:
    """The provider's final status of a contact's call or SMS, as a line of the history; None
    for a status on the way, or one already written (the provider repeats its callbacks)."""
    label = RECEIPT_LABELS.get((channel, status))
    if label is None:
        return None
    known = 0 <= contact < len(case.contacts)
    who = case.contacts[contact].name if known else f"contact n° {contact + 1}"
    detail = f"{'SMS' if channel == 'sms' else 'Appel'} à {who} : {label}"
    if error:
        detail += f" (erreur {error})"
    elif channel == "voice" and status == "completed" and duration_s:
        detail += f" ({duration_s} s)"
    if any(s.kind == "delivery_receipt" and s.contact_index == contact and s.detail == detail
           for s in case.history):  # fmt: skip
        return None
    step = _step("delivery_receipt", now, contact=contact, actor="provider", detail=detail)
    return CaseChange(case.model_copy(update={"history": (*case.history, step)}), steps=(step,))


def next_due(case: WelfareCase) -> datetime | None:
    """When `advance` next has something to do; None when only a person can move the case."""
    if case.status != "calling":
        return None
    due = [d for d in (case.contact_deadline,) if d is not None]
    if not case.help_needed:
        due.append(case.help_deadline)
    return min(due) if due else None


def take(case: WelfareCase, actor: str, now: datetime, *, contact: int | None = None) -> CaseChange:
    """Someone says "je m'en occupe": a contact by keypress, or the dispatcher in the API.

    Taking a case already taken by the same person changes nothing (a keypress repeated, a
    double click); by someone else it is refused, so the case has one owner."""
    if case.status == "closed":
        raise CaseConflict(f"case {case.case_id} is closed")
    if case.status == "taken":
        if case.taken_by == actor:
            return CaseChange(case)
        raise CaseConflict(f"case {case.case_id} is already taken by {case.taken_by}")
    detail = case.contacts[contact].name if contact is not None else ""
    step = _step("acknowledged", now, contact=contact, actor=actor, detail=detail)
    notices: tuple[Notice, ...] = ()
    if contact is not None:
        phone = case.contacts[contact].phone
        notices = (Notice(key=f"{case.case_id}:{contact}:taken", to=phone, channel="sms",
                          text=taken_text(case)),)  # fmt: skip
    taken = case.model_copy(
        update={
            "status": "taken",
            "taken_by": actor,
            "contact_deadline": None,
            "history": (*case.history, step),
        }
    )
    taker = case.contacts[contact].phone if contact is not None else None
    return CaseChange(taken, notices, steps=(step,), taker_phone=taker)


OUTCOME_BY_REPLY: dict[str, WelfareOutcome] = {
    "1": "hospitalised",
    "2": "planned_absence",
    "3": "needs_help",
    "4": "found_well",
}


def taken_text(case: WelfareCase) -> str:
    """What the contact who pressed 1 reads: how to tell us what they found (GSM-7)."""
    return (
        f"Bocage : merci de vous occuper de {case.senior_name}. Quand vous savez, répondez "
        "1 hospitalisé, 2 absent prévu, 3 besoin d'aide, 4 retrouvé bien."
    )


def outcome_from_reply(body: str) -> WelfareOutcome | None:
    """An SMS reply "4" (or "4 tout va bien") from the contact who took the case."""
    words = body.strip().split()
    return OUTCOME_BY_REPLY.get(words[0].rstrip(".")) if words else None


def record_outcome(
    case: WelfareCase, actor: str, outcome: WelfareOutcome, note: str, now: datetime
) -> CaseChange:
    """What was found at the senior's; a dispatcher recording it on a case nobody took takes it."""
    taken = take(case, actor, now) if case.status == "calling" else CaseChange(case)
    current = taken.case
    if current.status == "closed":
        raise CaseConflict(f"case {case.case_id} is closed")
    detail = OUTCOME_LABELS[outcome] + (f" : {note}" if note else "")
    step = _step("outcome_recorded", now, actor=actor, detail=detail)
    recorded = current.model_copy(
        update={"outcome": outcome, "outcome_note": note, "history": (*current.history, step)}
    )
    return CaseChange(recorded, steps=(*taken.steps, step))


def close(case: WelfareCase, actor: str, note: str, now: datetime) -> CaseChange:
    if case.status == "closed":
        return CaseChange(case)  # closing twice closes once
    step = _step("closed", now, actor=actor, detail=note)
    closed = case.model_copy(
        update={
            "status": "closed",
            "closed_at": now,
            "contact_deadline": None,
            "history": (*case.history, step),
        }
    )
    return CaseChange(closed, closed=True, steps=(step,))


def contact_for_keypress(case: WelfareCase, index: int) -> str:
    """The name a keypress is recorded under: the contact whose phone pressed it."""
    if not 0 <= index < len(case.contacts):
        raise CaseConflict(f"case {case.case_id} has no contact {index}")
    return f"{case.contacts[index].name} (touche 1)"
