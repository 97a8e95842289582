"""The welfare check: a senior did not answer the door; their emergency contacts are called in
turn until someone takes the case and says what happened. The alerts service owns the case."""

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.base import Contract
from contracts.meals_events import EmergencyContact

WelfareOutcome = Literal["hospitalised", "planned_absence", "needs_help", "found_well"]
OUTCOME_LABELS: dict[str, str] = {
    "hospitalised": "hospitalisé",
    "planned_absence": "absent prévu",
    "needs_help": "besoin d'aide",
    "found_well": "retrouvé bien",
}
WelfareStatus = Literal["calling", "taken", "closed"]
WelfareStepKind = Literal[
    "opened",
    "contact_called",
    "contact_texted",
    "no_acknowledgement",
    "acknowledged",
    "outcome_recorded",
    "help_needed",
    "closed",
    "delivery_receipt",  # the provider's final status of a contact's call or SMS
]


class WelfareStep(Contract):
    """One line of a case's history: what happened, when, and who did it."""

    at: AwareDatetime
    kind: WelfareStepKind
    contact_index: int | None = Field(default=None, description="0-based, in calling order")
    actor: str | None = Field(default=None, description="username, 'keypress' or 'system'")
    detail: str = ""


class WelfareCase(Contract):
    case_id: str = Field(description="welfare:<delivery id>:<local day>: one case a door a day")
    delivery_id: str
    senior_id: str | None = None
    senior_name: str
    commune: str
    day: str = Field(description="local date, YYYY-MM-DD")
    reported_by: str | None = None
    attempted_at: AwareDatetime = Field(description="when the driver rang in vain")
    opened_at: AwareDatetime
    contacts: tuple[EmergencyContact, ...] = ()
    status: WelfareStatus = "calling"
    current_contact: int | None = Field(
        default=None, description="the contact being tried; None before the first or after all"
    )
    contact_deadline: AwareDatetime | None = Field(
        default=None, description="when the current contact's turn ends without acknowledgement"
    )
    help_deadline: AwareDatetime = Field(description="nobody reached by then: call for help")
    help_needed: bool = Field(
        default=False, description="nobody was reached in time: the dispatcher must call for help"
    )
    taken_by: str | None = None
    outcome: WelfareOutcome | None = None
    outcome_note: str = ""
    closed_at: AwareDatetime | None = None
    history: tuple[WelfareStep, ...] = ()


class WelfareOutcomeRequest(Contract):
    """What the person who took the case found (`POST /welfare-cases/{id}/outcome`)."""

    outcome: WelfareOutcome
    note: str = Field(default="", max_length=500)


class WelfareCloseRequest(Contract):
    note: str = Field(default="", max_length=500)


class WelfareCheckOpened(Contract):
    """Event `welfare_check_opened`."""

    case_id: str
    delivery_id: str
    senior_id: str | None = None
    commune: str
    day: str
    opened_at: AwareDatetime
    contacts: int = Field(ge=0, description="how many emergency contacts will be tried")


class WelfareCheckClosed(Contract):
    """Event `welfare_check_closed`."""

    case_id: str
    delivery_id: str
    senior_id: str | None = None
    commune: str
    day: str
    closed_at: AwareDatetime
    closed_by: str
    outcome: WelfareOutcome | None = None


class WelfareCheckUpdated(Contract):
    """Event `welfare_check_updated`: new steps in a case's history between its opening and its
    closing (which have their own events): a contact called or texted, left silent, a provider's
    receipt, the case taken, an outcome, help needed. Only the kinds: the details name people,
    and whoever needs them reads the case."""

    case_id: str
    delivery_id: str
    senior_id: str | None = None
    commune: str
    day: str
    status: WelfareStatus
    steps: tuple[WelfareStepKind, ...] = Field(min_length=1, description="in the order taken")
    at: AwareDatetime = Field(description="when the last of them was taken")
