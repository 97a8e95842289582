"""Names of the vigilance phenomena, and how a CAP event maps onto them."""

from __future__ import annotations

import re

from contracts.feeds import Level, Phenomenon
from services.alerts.feeds.errors import FeedError

# Météo-France numbers its phenomena 1 to 9 on the vigilance map.
METEOFRANCE_PHENOMENA: dict[int, Phenomenon] = {
    1: "vent_violent",
    2: "pluie_inondation",
    3: "orages",
    4: "crues",
    5: "neige_verglas",
    6: "canicule",
    7: "grand_froid",
    8: "avalanches",
    9: "vagues_submersion",
}

# As a person reads them in a message: "vigilance orange crues".
PHENOMENON_LABELS: dict[Phenomenon, str] = {
    "vent_violent": "vent violent",
    "pluie_inondation": "pluie-inondation",
    "orages": "orages",
    "crues": "crues",
    "neige_verglas": "neige-verglas",
    "canicule": "canicule",
    "grand_froid": "grand froid",
    "avalanches": "avalanches",
    "vagues_submersion": "vagues-submersion",
    "autre": "événement",
}

LEVEL_COLOURS: dict[Level, str] = {1: "verte", 2: "jaune", 3: "orange", 4: "rouge"}

# MeteoAlarm-style CAP feeds carry "awareness_type" = "<n>; <name>"; its numbers differ from the
# French map's, so map them explicitly.
_AWARENESS_TYPES: dict[int, Phenomenon] = {
    1: "vent_violent",
    2: "neige_verglas",
    3: "orages",
    5: "canicule",
    6: "grand_froid",
    7: "vagues_submersion",
    9: "avalanches",
    10: "pluie_inondation",
    12: "crues",
    13: "pluie_inondation",
}

# Checked in order: "flash flood" must win over "flood", "storm surge" over "storm".
_EVENT_WORDS: tuple[tuple[str, Phenomenon], ...] = (
    (r"flash.?flood|pluie|rain|inondation", "pluie_inondation"),
    (r"tsunami|storm.?surge|submersion|coastal|vague|wave", "vagues_submersion"),
    (r"flood|crue", "crues"),
    (r"thunder|orage|lightning|hail|gr[eê]le", "orages"),
    (r"wind|vent|gale|hurricane|cyclone|tempête|tempete", "vent_violent"),
    (r"snow|ice|neige|verglas|blizzard|freezing.?rain", "neige_verglas"),
    (r"heat|canicule|chaleur", "canicule"),
    (r"cold|froid|frost", "grand_froid"),
    (r"avalanche", "avalanches"),
)


def phenomenon_for_cap(event: str, parameters: dict[str, str]) -> Phenomenon:
    """The vigilance phenomenon a CAP event stands for, or "autre" (earthquake, abduction...)."""
    awareness = parameters.get("awareness_type", "")
    number = awareness.split(";", 1)[0].strip()
    if number in {str(n) for n in _AWARENESS_TYPES}:
        return _AWARENESS_TYPES[int(number)]
    lowered = event.lower()
    for pattern, phenomenon in _EVENT_WORDS:
        if re.search(pattern, lowered):
            return phenomenon
    return "autre"


# CAP severity to vigilance colour, as MeteoAlarm pairs them (Minor = green ... Extreme = red).
# "Unknown" becomes jaune: a mayor would rather see an information draft than nothing.
_SEVERITY_LEVELS: dict[str, Level] = {
    "Minor": 1,
    "Moderate": 2,
    "Severe": 3,
    "Extreme": 4,
    "Unknown": 2,
}


# A sender's own colour parameter, when it has one, in the words producers use.
_COLOUR_PARAMETERS = ("colour", "color", "couleur", "awareness_colour", "vigilance_colour")
_COLOUR_WORDS: dict[str, Level] = {
    "green": 1, "vert": 1, "verte": 1,
    "yellow": 2, "jaune": 2,
    "orange": 3, "amber": 3,
    "red": 4, "rouge": 4,
}  # fmt: skip


def level_for_cap(severity: str, parameters: dict[str, str]) -> Level:
    """A CAP info's colour: its awareness_level if given ("3; orange; Severe"), else the
    sender's colour parameter ("orange", "Rouge"), else its severity."""
    lowered = {name.strip().lower(): value for name, value in parameters.items()}
    awareness = lowered.get("awareness_level", "")
    number = awareness.split(";", 1)[0].strip()
    if number in {"1", "2", "3", "4"}:
        return as_level(number, "awareness_level")
    for name in _COLOUR_PARAMETERS:
        word = lowered.get(name, "").strip().lower()
        if word in _COLOUR_WORDS:
            return _COLOUR_WORDS[word]
    return _SEVERITY_LEVELS.get(severity, 2)


_LEVELS: dict[str, Level] = {"1": 1, "2": 2, "3": 3, "4": 4}


def as_level(value: object, where: str) -> Level:
    """A vigilance colour 1-4 from a number or its text, or a `FeedError` naming where it was."""
    level = _LEVELS.get(str(value).strip())
    if level is None:
        raise FeedError(f"{where}: colour {value!r} is not a vigilance level (1 to 4)")
    return level
