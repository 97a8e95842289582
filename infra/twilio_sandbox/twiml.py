"""The part of TwiML the sandbox acts on: what is said, and where a keypress is posted."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


class TwimlError(ValueError):
    pass


@dataclass(frozen=True)
class Gather:
    action: str | None
    method: str
    num_digits: int | None


@dataclass(frozen=True)
class Script:
    says: tuple[str, ...]  # in the order they are spoken, those inside <Gather> included
    gather: Gather | None  # the first <Gather>: the call waits there for digits
    hangup: bool


def parse(document: str) -> Script:
    try:
        root = ET.fromstring(document.strip())
    except ET.ParseError as exc:
        raise TwimlError(f"TwiML is not well-formed XML: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(f"TwiML must have <Response> as its root, not <{root.tag}>")
    says: list[str] = []
    gather: Gather | None = None
    for element in root.iter():
        if element.tag == "Say":
            says.append(" ".join((element.text or "").split()))
        elif element.tag == "Gather" and gather is None:
            digits = element.get("numDigits")
            gather = Gather(
                action=element.get("action"),
                method=(element.get("method") or "POST").upper(),
                num_digits=int(digits) if digits and digits.isdigit() else None,
            )
    return Script(says=tuple(says), gather=gather, hangup=root.find("Hangup") is not None)
