"""Contacts' addresses as points, from a Base Adresse Nationale file (one CSV per department,
`adresses-<dep>.csv`, the intercommunality downloads it), with the quality of each match.

Pure: it takes the CSV's text and returns points; reading the file is the caller's business.
A match is `housenumber` (the number and street exist), `street` (the street exists, not that
number: the nearest number of the same side is used) or nothing: an address that cannot be
placed is reported so the mairie can fix it; the contact is still reached by commune-wide
campaigns. Street names are compared folded (case, accents, punctuation, the usual
abbreviations: r, av, bd, pl, rte, chem, imp, all), within the contact's commune only.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

MatchQuality = Literal["housenumber", "street"]
_REQUIRED = ("numero", "rep", "nom_voie", "code_insee", "lon", "lat")
_ABBREVIATIONS = {
    "r": "rue", "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard",
    "pl": "place", "rte": "route", "chem": "chemin", "ch": "chemin", "imp": "impasse",
    "all": "allee", "sq": "square", "st": "saint", "ste": "sainte", "fg": "faubourg",
}  # fmt: skip
_ADDRESS = re.compile(
    r"^\s*(?P<number>\d+)\s*(?P<rep>bis|ter|quater|[a-d])?\b[\s,]*(?P<street>.+)$"
)
_STREET_CUTOFF = 0.85


class AddressFileError(ValueError):
    """The file is not a BAN CSV; says what is missing."""


@dataclass(frozen=True)
class Placement:
    lon: float
    lat: float
    quality: MatchQuality
    matched: str  # the BAN address used, as the BAN spells it: "12 bis Rue d'Ypres, Bailleul"


@dataclass
class _Street:
    name: str
    commune: str
    numbers: dict[tuple[int, str], tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class AddressBook:
    """A department's addresses, indexed by commune and folded street name."""

    streets: dict[tuple[str, str], _Street]

    def __len__(self) -> int:
        return sum(len(s.numbers) for s in self.streets.values())


def read_ban_csv(text: str | Iterable[str]) -> AddressBook:
    lines = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.DictReader(lines, delimiter=";")
    missing = [c for c in _REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise AddressFileError(f"not a Base Adresse Nationale CSV: no column {', '.join(missing)}")
    streets: dict[tuple[str, str], _Street] = {}
    for line, row in enumerate(reader, start=2):
        try:
            number = int(row["numero"])
            point = (float(row["lon"]), float(row["lat"]))
        except (TypeError, ValueError):
            raise AddressFileError(f"line {line}: numero, lon and lat must be numbers") from None
        key = (row["code_insee"], fold_street(row["nom_voie"]))
        street = streets.setdefault(key, _Street(row["nom_voie"], row.get("nom_commune") or ""))
        street.numbers[(number, (row["rep"] or "").lower())] = point
    return AddressBook(streets)


def place(book: AddressBook, address: str, commune_code: str) -> Placement | None:
    """The point of `address` in `commune_code`, or None when it cannot be placed."""
    parsed = _ADDRESS.match(address or "")
    if parsed is None:
        return None
    number, rep = int(parsed["number"]), (parsed["rep"] or "").lower()
    street = _street(book, commune_code, fold_street(parsed["street"]))
    if street is None:
        return None
    where = f"{street.name}, {street.commune}".rstrip(", ")
    for wanted in ((number, rep), (number, "")):
        if wanted in street.numbers:
            lon, lat = street.numbers[wanted]
            shown = f"{wanted[0]} {wanted[1]} ".replace("  ", " ")
            return Placement(lon, lat, "housenumber", f"{shown}{where}")
    # Not that number: the nearest on the same side of the street (same parity), else any.
    same_side = [n for n in street.numbers if n[0] % 2 == number % 2] or list(street.numbers)
    nearest = min(same_side, key=lambda n: abs(n[0] - number))
    lon, lat = street.numbers[nearest]
    return Placement(lon, lat, "street", f"{nearest[0]} {where} (au plus près du {number})")


def _street(book: AddressBook, commune: str, folded: str) -> _Street | None:
    exact = book.streets.get((commune, folded))
    if exact is not None:
        return exact
    names = [name for code, name in book.streets if code == commune]
    close = difflib.get_close_matches(folded, names, n=1, cutoff=_STREET_CUTOFF)
    return book.streets[(commune, close[0])] if close else None


def fold_street(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)
