"""Phone numbers: parsed and validated with `phonenumbers`, stored as E.164.

Whether a number is a mobile decides the channel: SMS to mobiles, voice calls to landlines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

Channel = Literal["sms", "voice"]

_MOBILE_TYPES = {PhoneNumberType.MOBILE}
# Numbers the library cannot tell apart (some countries) get SMS: a landline answers 21614 and
# the delivery engine falls back to voice.
_AMBIGUOUS_TYPES = {PhoneNumberType.FIXED_LINE_OR_MOBILE}


class PhoneError(ValueError):
    """The number is not a valid phone number; the message says why."""


@dataclass(frozen=True)
class Phone:
    e164: str
    kind: Literal["mobile", "landline", "other"]

    @property
    def channel(self) -> Channel:
        return "voice" if self.kind == "landline" else "sms"


def parse_phone(raw: str, default_region: str = "FR") -> Phone:
    text = raw.strip()
    if not text:
        raise PhoneError("empty phone number")
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException as error:
        raise PhoneError(f"{raw!r} is not a phone number ({error._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"{raw!r} is not a valid number for its country")
    number_type = phonenumbers.number_type(number)
    if number_type in _MOBILE_TYPES or number_type in _AMBIGUOUS_TYPES:
        kind: Literal["mobile", "landline", "other"] = "mobile"
    elif number_type == PhoneNumberType.FIXED_LINE:
        kind = "landline"
    else:
        kind = "other"  # VoIP, toll-free...: reachable by voice, tried by SMS first
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, kind=kind)
