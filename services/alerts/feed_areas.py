"""Which of the tenant's communes a feed item concerns, and if none, why.

Pure. Departments and coasts concern the communes of that department; a CAP area concerns the
communes its INSEE codes name, the communes of the departments it names (by code or NUTS3), and
the communes its polygons and circles cover; a Vigicrues reach concerns the communes its flood
zone covers. Codes are compared only by kind (see `feeds.geocodes`); geometry only through
`territory.communes_covering`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts.feeds import CapArea, FeedLevel, NotConcernedWhy, ReachGeometry
from services.alerts.feeds.geocodes import unplaced_kinds
from services.alerts.feeds.reach_zone import flood_zone
from services.alerts.territory import Territory, cap_area_shape, communes_covering


@dataclass(frozen=True)
class Concern:
    communes: tuple[str, ...]  # sorted INSEE codes of the tenant's communes concerned
    why: NotConcernedWhy | None = None  # when none: area_outside or no_area
    reason: str | None = None


def department_of(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def concern(
    feed: FeedLevel,
    communes: Mapping[str, str],
    where: Territory | None,
    reach: ReachGeometry | None = None,
    reach_buffer_m: float = 500,
) -> Concern:
    if feed.area_kind in ("department", "coast"):
        departments = set(feed.area_ids)
        codes = sorted(c for c in communes if department_of(c) in departments)
        return _found(codes, feed.area_label)
    if feed.area_kind == "cap_area":
        return _cap(feed.cap_areas, communes, where)
    if feed.area_kind == "reach":
        if reach is None or where is None:
            return Concern((), "no_area", "tracé du tronçon ou limites des communes inconnus")
        zone = flood_zone(reach, reach_buffer_m)
        codes = sorted(c for c in communes_covering(where, zone) if c in communes)
        return _found(codes, f"zone inondable du tronçon {feed.area_label}")
    return Concern((), "no_area", f"zone de type {feed.area_kind} non prise en charge")


def _found(codes: list[str], outside: str) -> Concern:
    if codes:
        return Concern(tuple(codes))
    return Concern((), "area_outside", outside)


def _cap(
    areas: tuple[CapArea, ...], communes: Mapping[str, str], where: Territory | None
) -> Concern:
    codes: set[str] = set()
    placeable = False
    unplaced: list[str] = []
    shapes_unchecked = False
    for area in areas:
        if area.insee_codes or area.departments:
            placeable = True
        codes |= {c for c in area.insee_codes if c in communes}
        codes |= {c for c in communes if department_of(c) in area.departments}
        shape = cap_area_shape(area)
        if shape is not None:
            if where is None:
                shapes_unchecked = True
            else:
                placeable = True
                codes |= {c for c in communes_covering(where, shape) if c in communes}
        unplaced += unplaced_kinds(area.geocodes)
    if codes:
        return Concern(tuple(sorted(codes)))
    if placeable:
        label = "; ".join(a.description for a in areas if a.description) or "zone de l'alerte"
        return Concern((), "area_outside", label)
    if shapes_unchecked:
        return Concern(
            (),
            "no_area",
            "zone donnée par polygone ou cercle, mais les limites des communes ne sont pas "
            "chargées (bocage tenant communes)",
        )
    detail = f" (codes non comparables : {', '.join(unplaced[:5])})" if unplaced else ""
    return Concern((), "no_area", f"zone sans code INSEE, département, NUTS3 ni géométrie{detail}")
