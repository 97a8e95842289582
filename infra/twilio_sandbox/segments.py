"""How many SMS segments a body takes, as a carrier counts them (pure: no I/O).

A body that fits the GSM 03.38 7-bit alphabet is sent as GSM-7: 160 septets in one SMS, 153 per
part once it is split (the user-data header takes the rest). Characters of the extension table cost
two septets (an escape and the character). Any other character forces the whole body into UCS-2:
70 UTF-16 code units in one SMS, 67 per part.

French matters here: é è à ù É are in the basic set, but ê â î ô û ç œ, the typographic quotes and
the non-breaking space are not, and a single one of them shrinks each SMS from 160 to 70 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic character set, in table order (0x1B, the escape to the extension table, is left
# out: it is not a character a text can contain).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs an escape septet plus its own.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    encoding: Encoding
    segments: int
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    ucs2_characters: tuple[str, ...] = ()  # the characters that forced UCS-2, in order of use


def encoding_of(text: str) -> Encoding:
    return "GSM-7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "UCS-2"


def non_gsm_characters(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for c in text:
        if c not in GSM7_BASIC and c not in GSM7_EXTENSION:
            seen.setdefault(c)
    return tuple(seen)


def _pack(costs: list[int], single: int, part: int) -> int:
    """Number of parts, never splitting a character (an escape pair or a surrogate pair)."""
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part:
            parts, used = parts + 1, 0
        used += cost
    return parts


@lru_cache(maxsize=1024)  # a campaign sends one body to everyone: counted once, not per message
def count_segments(text: str) -> SegmentCount:
    """Encoding and segment count of an SMS body; an empty body still takes one SMS."""
    forcing = non_gsm_characters(text)
    if not forcing:
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SegmentCount("GSM-7", _pack(costs, GSM7_SINGLE, GSM7_PART), sum(costs))
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return SegmentCount("UCS-2", _pack(costs, UCS2_SINGLE, UCS2_PART), sum(costs), forcing)
