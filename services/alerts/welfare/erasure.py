"""What the alerts service keeps of a senior after routing erased them (RGPD). Pure.

A welfare case keeps that it happened, when, its steps and its outcome (the intercommunality must
be able to account for a door nobody answered), never the senior's name, their contacts' names
and numbers, or the free text that could name them.
"""

from __future__ import annotations

from datetime import datetime

from contracts.escalations import Escalation
from contracts.welfare import WelfareCase

ERASED = "(personne effacée)"


def erased_case(case: WelfareCase, now: datetime) -> WelfareCase:
    """The case without the person; one still open is closed (nobody is left to call)."""
    steps = tuple(step.model_copy(update={"detail": ""}) for step in case.history)
    update: dict[str, object] = {
        "senior_id": None,
        "senior_name": ERASED,
        "contacts": (),
        "outcome_note": "",
        "history": steps,
        "current_contact": None,
        "contact_deadline": None,
    }
    if case.status != "closed":
        update.update(status="closed", closed_at=now)
    return case.model_copy(update=update)


def erased_escalation(escalation: Escalation) -> Escalation:
    # The summary reads "<name>: <what happened>": the name goes, what happened stays.
    what = escalation.summary.split(": ", 1)[-1]
    return escalation.model_copy(update={"summary": f"{ERASED}: {what}"})


def names_senior(escalation: Escalation, senior_id: str, deliveries: set[str]) -> bool:
    """Whether an escalation is about this senior: one of their cases' deliveries, or a meal
    delivery id, which ends with the senior's id (`meal-YYYYMMDD-<senior>`)."""
    subject = escalation.subject_id
    return subject in deliveries or (
        subject.startswith("meal-") and subject.endswith(f"-{senior_id}")
    )
