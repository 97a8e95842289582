"""A carpooler's profile: the number their booking SMS go to.

People who carpool by SMS are known by their number (`tel:+33…`); people who use the web give one
here (E.164), or none, and then get the same SMS: a seat asked in their car, a confirmation, a
cancellation and the new plan. Each SMS leaves once (alerts' transactional path, one idempotency
key per booking and notice).
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType

from contracts.carpool import CarpoolProfile, CarpoolProfileIn
from contracts.identity import Caller
from services.carpool.sms_desk import phone_of
from services.carpool.store import CarpoolStore
from services.common.events import InvalidMessage

_TEXTED = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def texted(e164: str) -> None:
    """A number an SMS can reach: valid, and a mobile (or a number that may be one)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidMessage(f"phone: {e164} is not a valid phone number")
    if phonenumbers.number_type(number) not in _TEXTED:
        raise InvalidMessage(
            f"phone: {e164} is not a mobile number: the booking SMS cannot reach it "
            "(a landline books through the dispatcher)"
        )


def number_of(store: CarpoolStore, tenant: str, username: str) -> str | None:
    """Where this person's SMS go: the number they text from, or the one they gave."""
    return phone_of(username) or store.phone(tenant, username)


def profile(store: CarpoolStore, tenant: str, caller: Caller) -> dict[str, Any]:
    who = caller.username
    return CarpoolProfile(username=who, phone=number_of(store, tenant, who)).model_dump(mode="json")


def set_profile(
    store: CarpoolStore, tenant: str, caller: Caller, given: CarpoolProfileIn
) -> dict[str, Any]:
    if phone_of(caller.username) is not None:
        raise InvalidMessage("someone who carpools by SMS is known by the number they text from")
    if given.phone is not None:
        texted(given.phone)
    store.set_phone(tenant, caller.username, given.phone)
    return profile(store, tenant, caller)
