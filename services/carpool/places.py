"""Meeting places from the national carpool base (BNLC CSV, its own column names) or a plain
lat/lon list. Pure: takes the text, returns `Place` models and the reasons lines were left out.

Kept: places open (`ouvert`), with valid coordinates, in the tenant's communes (`insee`) or
within `within_m` of one of the given anchor points (e.g. the road graph's junctions or the
territory's centroids). BNLC: Base nationale des lieux de covoiturage, ODbL
(transport.data.gouv.fr).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from contracts.carpool import Place

BNLC_COLUMNS = ("id_lieu", "nom_lieu", "com_lieu", "insee", "type", "Xlong", "Ylat", "ouvert")
EARTH_M = 6_371_000.0


class PlacesFileError(ValueError):
    """The file is not a BNLC CSV or a name,lat,lon list; the message says why."""


@dataclass
class Imported:
    places: list[Place] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason → count

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def metres(a: Sequence[float], b: Sequence[float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_M * math.asin(math.sqrt(min(h, 1.0)))


def _near(point: tuple[float, float], anchors: Sequence[Sequence[float]], within_m: float) -> bool:
    return any(metres(point, anchor) <= within_m for anchor in anchors)


def read_bnlc(
    text: str,
    communes: Iterable[str] = (),
    anchors: Sequence[Sequence[float]] = (),
    within_m: float = 0.0,
) -> Imported:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in BNLC_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PlacesFileError(f"not a BNLC file: missing column(s) {', '.join(missing)}")
    wanted = set(communes)
    result = Imported()
    for row in reader:
        if (row.get("ouvert") or "").strip().lower() == "false":
            result.skip("closed")
            continue
        try:
            point = (float(row["Ylat"]), float(row["Xlong"]))
        except (TypeError, ValueError):
            result.skip("no coordinates")
            continue
        if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
            result.skip("no coordinates")
            continue
        insee = (row.get("insee") or "").strip()
        if insee not in wanted and not (anchors and _near(point, anchors, within_m)):
            result.skip("outside the territory")
            continue
        spaces = (row.get("nbre_pl") or "").strip()
        result.places.append(
            Place(
                place_id=row["id_lieu"].strip(),
                name=(row.get("nom_lieu") or "").strip() or row["id_lieu"].strip(),
                location=point,
                commune_insee=insee or None,
                commune_name=(row.get("com_lieu") or "").strip(),
                kind=(row.get("type") or "").strip(),
                spaces=int(spaces) if spaces.isdigit() else None,
                source="bnlc",
            )
        )
    return result


def read_plain_list(text: str, prefix: str = "pt") -> Imported:
    """`name,lat,lon` lines (a header line is allowed)."""
    result = Imported()
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 3:
            raise PlacesFileError(f"line {number}: expected name,lat,lon")
        try:
            point = (float(row[1]), float(row[2]))
        except ValueError:
            if number == 1:
                continue  # a header
            raise PlacesFileError(f"line {number}: lat and lon must be numbers") from None
        if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
            raise PlacesFileError(f"line {number}: lat/lon out of range")
        name = row[0].strip() or f"{prefix}-{number}"
        result.places.append(Place(place_id=f"{prefix}-{number}", name=name, location=point))
    return result
