"""What a passenger without a smartphone texts, understood. Pure.

    COVOIT Fruges Hesdin demain 9h
    COVOIT Méteren Bailleul lundi 8h30 retour 12h
    1 / 2 / 3          book that option
    ANNULER            cancel my booking

Place names are resolved against the territory's gazetteer (communes and meeting points),
forgiving accents, case, hyphens, "St"/"Ste" and small misspellings. Anything else gets a short
French answer saying how to write it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HELP_FR = (
    "Pour trouver un covoiturage, écrivez par ex. : COVOIT Fruges Hesdin demain 9h "
    "(ou lundi 8h30 retour 12h). Répondez 1, 2 ou 3 pour réserver, ANNULER pour annuler."
)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
KEYWORDS = ("covoit", "covoiturage")
FUZZY_CUTOFF = 0.8


@dataclass(frozen=True)
class Entry:
    """A name the territory knows, and where it is."""

    name: str
    location: tuple[float, float]
    place_id: str | None = None


@dataclass(frozen=True)
class Search:
    origin: Entry
    destination: Entry
    day: dt.date
    time_s: int  # seconds since midnight
    return_time_s: int | None = None


@dataclass(frozen=True)
class Choose:
    option: int


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class NotUnderstood:
    reply_fr: str


Command = Search | Choose | Cancel | NotUnderstood


def normalise(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, St → saint."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    plain = re.sub(r"[-'’_.,;/]+", " ", plain)
    words = []
    for word in plain.split():
        words.append({"st": "saint", "ste": "sainte"}.get(word, word))
    return " ".join(words)


class Gazetteer:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self.by_name: dict[str, Entry] = {}
        for entry in entries:
            self.by_name.setdefault(normalise(entry.name), entry)

    def find(self, words: Sequence[str]) -> Entry | None:
        key = normalise(" ".join(words))
        if not key:
            return None
        if key in self.by_name:
            return self.by_name[key]
        close = difflib.get_close_matches(key, list(self.by_name), n=1, cutoff=FUZZY_CUTOFF)
        return self.by_name[close[0]] if close else None


def parse_time(word: str) -> int | None:
    """9h, 9h30, 09:30, 8H05 → seconds since midnight."""
    match = re.fullmatch(r"(\d{1,2})\s*(?:h|:)\s*(\d{2})?", word.lower())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 23 or minutes > 59:
        return None
    return hours * 3600 + minutes * 60


def parse_day(word: str, today: dt.date) -> dt.date | None:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})", word.strip())
    if match:
        try:
            day = dt.date(today.year, int(match.group(2)), int(match.group(1)))
        except ValueError:
            return None
        return day if day >= today else day.replace(year=today.year + 1)
    word = normalise(word).replace(" ", "")
    if word in ("aujourdhui", "auj"):
        return today
    if word == "demain":
        return today + dt.timedelta(days=1)
    if word == "apresdemain":
        return today + dt.timedelta(days=2)
    if word in WEEKDAYS:
        ahead = (WEEKDAYS.index(word) - today.weekday()) % 7
        return today + dt.timedelta(days=ahead or 7)
    return None


def parse(text: str, gazetteer: Gazetteer, today: dt.date) -> Command:
    words = text.strip().split()
    if not words:
        return NotUnderstood(HELP_FR)
    first = normalise(words[0])
    if len(words) == 1 and first in ("1", "2", "3", "4", "5", "6"):
        return Choose(int(first))
    if len(words) == 1 and first in ("annuler", "annule", "annulation"):
        return Cancel()
    if first not in KEYWORDS:
        return NotUnderstood(HELP_FR)
    return _search(words[1:], gazetteer, today)


def _search(words: list[str], gazetteer: Gazetteer, today: dt.date) -> Command:
    # "8 h 30" and "8h 30" become one word.
    joined = re.sub(r"(\d{1,2})\s*h\s*(\d{2})?", lambda m: f"{m.group(1)}h{m.group(2) or ''}",
                    " ".join(words), flags=re.IGNORECASE)  # fmt: skip
    words = joined.split()
    day_at = next((i for i, w in enumerate(words) if parse_day(w, today) is not None), None)
    if day_at is None:
        return NotUnderstood("Quel jour ? " + HELP_FR)
    day = parse_day(words[day_at], today)
    assert day is not None
    rest = words[day_at + 1 :]
    time_s = parse_time(rest[0]) if rest else None
    if time_s is None:
        return NotUnderstood("À quelle heure ? " + HELP_FR)
    return_s = None
    if len(rest) >= 3 and normalise(rest[1]) == "retour":
        return_s = parse_time(rest[2])
        if return_s is None:
            return NotUnderstood("À quelle heure le retour ? " + HELP_FR)
    places = words[:day_at]
    for split in _splits(len(places)):
        origin = gazetteer.find(places[:split])
        destination = gazetteer.find(places[split:])
        if origin is not None and destination is not None and origin != destination:
            return Search(origin, destination, day, time_s, return_s)
    named = " ".join(places) or "(rien)"
    return NotUnderstood(f"Lieux non reconnus : {named}. " + HELP_FR)


def _splits(count: int) -> list[int]:
    # Middle splits first: "Saint Omer Hesdin" tries 2|1 before 1|2 only if 1|2 fails.
    return sorted(range(1, count), key=lambda s: abs(count / 2 - s))
