"""How an SMS text is encoded and split (GSM 03.38 / 3GPP 23.038), and a GSM-7 variant of it.

A text that fits the GSM-7 alphabet costs 160 characters in one segment, 153 per segment once it
is split (the rest carries the concatenation header). One character outside it — ê, ç, œ, a
typographic apostrophe — turns the whole message into UCS-2: 70, then 67 per segment, so a French
alert can cost two or three times as much. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The GSM 03.38 default alphabet (one septet each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape septet plus its own.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

Encoding = Literal["GSM-7", "UCS-2"]

# What a French text needs to stay in GSM-7. Letters keep their base letter; punctuation its
# plain equivalent. é, è, à, ù, É are in the basic alphabet and are kept as they are.
TRANSLITERATION = {
    "â": "a", "ê": "e", "ë": "e", "î": "i", "ï": "i", "ô": "o", "û": "u", "ÿ": "y",
    "ç": "c", "œ": "oe", "Œ": "OE",
    "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I", "Ô": "O",
    "Ù": "U", "Û": "U", "Ÿ": "Y", "á": "a", "í": "i", "ó": "o", "ú": "u",
    "’": "'", "‘": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‐": "-", "−": "-", "…": "...", "\u00a0": " ", "\u202f": " ",
    "\u2009": " ", "•": "-", "·": ".", "°": " deg", "`": "'",
}  # fmt: skip


@dataclass(frozen=True)
class SmsEncoding:
    encoding: Encoding
    segments: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    per_segment: int
    forcing_characters: tuple[str, ...]  # what pushed the text out of GSM-7, in order of first use


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _gsm7_segments(text: str) -> tuple[int, int]:
    septets = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    total = sum(septets)
    if total <= GSM7_SINGLE:
        return total, 1 if text else 0
    # An escape pair is never split across two segments: fill greedily, char by char.
    segments, used = 1, 0
    for cost in septets:
        if used + cost > GSM7_PART:
            segments, used = segments + 1, 0
        used += cost
    return total, segments


def _ucs2_segments(text: str) -> tuple[int, int]:
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # a surrogate pair stays together
    total = sum(units)
    if total <= UCS2_SINGLE:
        return total, 1 if text else 0
    segments, used = 1, 0
    for cost in units:
        if used + cost > UCS2_PART:
            segments, used = segments + 1, 0
        used += cost
    return total, segments


def analyse(text: str) -> SmsEncoding:
    """The encoding a phone network will use for `text`, and what it costs in segments."""
    forcing = tuple(
        dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION)
    )
    if not forcing:
        units, segments = _gsm7_segments(text)
        per = GSM7_SINGLE if segments <= 1 else GSM7_PART
        return SmsEncoding("GSM-7", segments, units, per, ())
    units, segments = _ucs2_segments(text)
    per = UCS2_SINGLE if segments <= 1 else UCS2_PART
    return SmsEncoding("UCS-2", segments, units, per, forcing)


def transliterate(text: str) -> str:
    """A GSM-7 variant of a French text: accents that GSM-7 lacks lose them, quotes go plain.

    Characters with no sensible equivalent (emoji, other scripts) are dropped rather than
    replaced by '?', which reads as a question in an alert.
    """
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
            continue
        replacement = TRANSLITERATION.get(ch)
        if replacement is not None and is_gsm7(replacement):
            out.append(replacement)
        elif ch.isspace():
            out.append(" ")
    return "".join(out)
