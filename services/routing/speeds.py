"""The French speed profile: how fast a delivery van drives on each class of road.

Pure: no I/O. This module is the single place where speeds are decided; the routing README
("Speed profile") repeats the table for readers.

Default speed by OSM ``highway`` class, in km/h, when the way has no usable ``maxspeed`` tag.
The values are speeds *as driven* in rural France, not only the legal limits:

==================  =====  =============================================================
highway             km/h   why
==================  =====  =============================================================
motorway            130    legal limit on autoroutes
motorway_link        70    exit and entry ramps, curves and merges
trunk               110    voies express / 2x2 lanes with a separator
trunk_link           60
primary              80    two-way rural road without separator (limit 80 since 2018)
primary_link         50
secondary            80    routes départementales between villages
secondary_link       50
tertiary             70    narrower D roads, many bends and crossings
tertiary_link        50
unclassified         50    small communal roads between hamlets
road                 40    class unknown to the mapper
residential          30    village streets: limit 50, but zones 30, parked cars, children
living_street        20    zone de rencontre (legal limit 20)
service              20    access roads, yards, car parks entrances
==================  =====  =============================================================

A ``maxspeed`` tag overrides the class default when it can be read: a number in km/h
(``"50"``, ``"50 km/h"``), miles per hour (``"30 mph"``), several values along the way
(``"50;70"``: the lowest is kept, the slower estimate being the safer one for an ETA), or an
implicit zone (``"FR:urban"`` 50, ``"FR:rural"`` 80, ``"FR:motorway"`` 130, ``"FR:zone30"`` 30,
``"walk"`` 6 — the same suffixes are accepted for other countries, because the test data is
Belgian). Unreadable values (``"signals"``, ``"none"``, ``"variable"``) fall back to the class
default. Every speed is clamped to [5, 130] km/h: nothing drives faster than the French maximum.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable

# Bump when the rules below change: the graph artefact version depends on it.
PROFILE_VERSION = "fr-2025.1"

DEFAULT_KPH: dict[str, float] = {
    "motorway": 130.0,
    "motorway_link": 70.0,
    "trunk": 110.0,
    "trunk_link": 60.0,
    "primary": 80.0,
    "primary_link": 50.0,
    "secondary": 80.0,
    "secondary_link": 50.0,
    "tertiary": 70.0,
    "tertiary_link": 50.0,
    "unclassified": 50.0,
    "road": 40.0,
    "residential": 30.0,
    "living_street": 20.0,
    "service": 20.0,
}

# Implicit limits written as "<country>:<zone>"; the zone decides, whatever the country.
ZONE_KPH: dict[str, float] = {
    "urban": 50.0,
    "rural": 80.0,
    "trunk": 110.0,
    "motorway": 130.0,
    "zone30": 30.0,
    "zone20": 20.0,
    "living_street": 20.0,
    "walk": 6.0,
}

MIN_KPH = 5.0
MAX_KPH = 130.0
MPH_TO_KPH = 1.609344

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)


def is_drivable_class(highway: str) -> bool:
    """True when the profile knows the class, i.e. a van may drive on it."""
    return highway in DEFAULT_KPH


def parse_maxspeed(value: str | None) -> float | None:
    """The speed in km/h that a ``maxspeed`` tag states, or None when it states none we can use."""
    if value is None:
        return None
    speeds = [_parse_one(part) for part in str(value).split(";")]
    known = [speed for speed in speeds if speed is not None]
    return min(known) if known else None


def _parse_one(text: str) -> float | None:
    text = text.strip()
    match = _NUMBER.match(text)
    if match:
        number = float(match.group(1))
        if number <= 0:
            return None
        unit = (match.group(2) or "").lower()
        return number * MPH_TO_KPH if unit == "mph" else number
    zone = text.split(":", 1)[-1].strip().lower()
    return ZONE_KPH.get(zone)


def speed_kph(highway: str | Iterable[str], maxspeed: str | Iterable[str] | None = None) -> float:
    """The driving speed (km/h) on a road of class ``highway`` with an optional ``maxspeed`` tag.

    Either argument may be a list, as osmnx gives when a simplified edge merges several ways:
    the slowest class and the lowest readable limit are used.
    """
    classes = [highway] if isinstance(highway, str) else list(highway)
    defaults = [DEFAULT_KPH[c] for c in classes if c in DEFAULT_KPH]
    if not defaults:
        raise ValueError(f"highway class {highway!r} is not drivable in the speed profile")
    tags = [maxspeed] if maxspeed is None or isinstance(maxspeed, str) else list(maxspeed)
    limits = [s for s in (parse_maxspeed(t) for t in tags) if s is not None]
    speed = min(limits) if limits else min(defaults)
    if not math.isfinite(speed):
        speed = min(defaults)
    return max(MIN_KPH, min(MAX_KPH, speed))


def profile_fingerprint() -> str:
    """A short hash of the whole profile, part of every graph artefact's version."""
    blob = json.dumps([PROFILE_VERSION, DEFAULT_KPH, ZONE_KPH, MIN_KPH, MAX_KPH], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
