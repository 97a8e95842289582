"""CAP geocodes read by their kind: a code is compared with ours only when we know what it names.

A geocode is a (valueName, value) pair whose name says which code list the value comes from.
INSEE commune codes and French department codes are ours; a NUTS3 code of a French region is
mapped to its department (NUTS 2016/2021, the version MeteoAlarm uses). Any other kind (SAME,
FIPS, EMMA_ID, a foreign NUTS code...) names a place we cannot compare, so a foreign code that
happens to read like an INSEE code never selects a French commune.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from contracts.feeds import CapValue

_INSEE_COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_DEPARTMENT = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$")
_DEPARTMENT_KINDS = {"departement", "département", "department", "dept", "code_departement"}
_NUTS_KINDS = {"nuts3", "nuts", "nuts_3", "nuts-3"}

# NUTS3 (2016 and 2021 editions agree for France) to department code.
NUTS3_DEPARTMENTS: dict[str, str] = {
    "FR101": "75", "FR102": "77", "FR103": "78", "FR104": "91", "FR105": "92", "FR106": "93",
    "FR107": "94", "FR108": "95",
    "FRB01": "18", "FRB02": "28", "FRB03": "36", "FRB04": "37", "FRB05": "41", "FRB06": "45",
    "FRC11": "21", "FRC12": "58", "FRC13": "71", "FRC14": "89", "FRC21": "25", "FRC22": "39",
    "FRC23": "70", "FRC24": "90",
    "FRD11": "14", "FRD12": "50", "FRD13": "61", "FRD21": "27", "FRD22": "76",
    "FRE11": "59", "FRE12": "62", "FRE21": "02", "FRE22": "60", "FRE23": "80",
    "FRF11": "67", "FRF12": "68", "FRF21": "08", "FRF22": "10", "FRF23": "51", "FRF24": "52",
    "FRF31": "54", "FRF32": "55", "FRF33": "57", "FRF34": "88",
    "FRG01": "44", "FRG02": "49", "FRG03": "53", "FRG04": "72", "FRG05": "85",
    "FRH01": "22", "FRH02": "29", "FRH03": "35", "FRH04": "56",
    "FRI11": "24", "FRI12": "33", "FRI13": "40", "FRI14": "47", "FRI15": "64", "FRI21": "19",
    "FRI22": "23", "FRI23": "87", "FRI31": "16", "FRI32": "17", "FRI33": "79", "FRI34": "86",
    "FRJ11": "11", "FRJ12": "30", "FRJ13": "34", "FRJ14": "48", "FRJ15": "66", "FRJ21": "09",
    "FRJ22": "12", "FRJ23": "31", "FRJ24": "32", "FRJ25": "46", "FRJ26": "65", "FRJ27": "81",
    "FRJ28": "82",
    "FRK11": "03", "FRK12": "15", "FRK13": "43", "FRK14": "63", "FRK21": "01", "FRK22": "07",
    "FRK23": "26", "FRK24": "38", "FRK25": "42", "FRK26": "69", "FRK27": "73", "FRK28": "74",
    "FRL01": "04", "FRL02": "05", "FRL03": "06", "FRL04": "13", "FRL05": "83", "FRL06": "84",
    "FRM01": "2A", "FRM02": "2B",
    "FRY10": "971", "FRY20": "972", "FRY30": "973", "FRY40": "974", "FRY50": "976",
}  # fmt: skip


def _kind(geocode: CapValue) -> str:
    return geocode.name.strip().lower()


def _is_department_kind(kind: str) -> bool:
    return kind in _DEPARTMENT_KINDS or kind in {"insee_dep", "insee_departement"}


def commune_codes(geocodes: Iterable[CapValue]) -> tuple[str, ...]:
    """INSEE commune codes, from geocodes whose name says INSEE (and not a department)."""
    codes = (
        g.value.strip().upper()
        for g in geocodes
        if "insee" in _kind(g) and not _is_department_kind(_kind(g))
    )
    return tuple(dict.fromkeys(c for c in codes if _INSEE_COMMUNE.match(c)))


def department_codes(geocodes: Iterable[CapValue]) -> tuple[str, ...]:
    """French departments named by a department code or by a French NUTS3 code."""
    found: list[str] = []
    for geocode in geocodes:
        kind, value = _kind(geocode), geocode.value.strip().upper()
        if _is_department_kind(kind) and _DEPARTMENT.match(value):
            found.append(value)
        elif kind in _NUTS_KINDS and value in NUTS3_DEPARTMENTS:
            found.append(NUTS3_DEPARTMENTS[value])
    return tuple(dict.fromkeys(found))


def unplaced_kinds(geocodes: Iterable[CapValue]) -> tuple[str, ...]:
    """The names of geocodes we could not read as one of our places (for the outcome's reason)."""
    kinds = []
    for geocode in geocodes:
        single = (geocode,)
        if not commune_codes(single) and not department_codes(single):
            kinds.append(f"{geocode.name}={geocode.value}")
    return tuple(dict.fromkeys(kinds))
