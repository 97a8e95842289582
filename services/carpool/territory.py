"""Is a point inside the territory? Decided with the tenant's commune boundaries.

The boundaries are the ones the alerts service keeps for the tenant (`bocage tenant communes`:
IGN Admin Express, or the intercommunality's own GeoJSON, properties `code` and `nom`, WGS84).
Pure apart from `TerritoryCache`, which asks alerts through a function and keeps the answer a
few minutes per tenant. A tenant without stored boundaries, or alerts absent, has no known
territory: then only the road graph decides (a point off it is refused by routing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from services.common.events import InvalidMessage

KEEP_S = 300.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Territory:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    shapes: tuple[BaseGeometry, ...]
    _tree: shapely.STRtree = field(repr=False, compare=False)

    def commune_at(self, point: Sequence[float]) -> str | None:
        """The INSEE code of the commune holding [lat, lon] (its border counts), or None."""
        here = shapely.Point(float(point[1]), float(point[0]))
        for index in self._tree.query(here, predicate="intersects"):
            return self.codes[int(index)]
        return None


def from_geojson(document: Mapping[str, Any]) -> Territory:
    """The communes of a FeatureCollection; a feature without a code or a polygon is skipped."""
    codes, names, shapes = [], [], []
    for feature in document.get("features") or []:
        props = feature.get("properties") or {}
        code = props.get("code")
        geometry = feature.get("geometry")
        if not code or not geometry:
            continue
        shape = shapely.geometry.shape(geometry)
        if shape.is_empty or shape.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        codes.append(str(code))
        names.append(str(props.get("nom") or code))
        shapes.append(shape)
    return Territory(tuple(codes), tuple(names), tuple(shapes), shapely.STRtree(shapes))


def check_inside(territory: Territory | None, **points: Sequence[float]) -> None:
    """422 naming each point outside the territory's communes (nothing known: no check)."""
    if territory is None or not territory.codes:
        return
    outside = [
        f"the {what} ({float(p[0]):.5f}, {float(p[1]):.5f})"
        for what, p in points.items()
        if territory.commune_at(p) is None
    ]
    if outside:
        raise InvalidMessage(
            f"{' and '.join(outside)} {'is' if len(outside) == 1 else 'are'} outside the "
            f"territory: in none of its {len(territory.codes)} communes"
        )


# alerts' answer for a tenant: its boundaries (GeoJSON), None when it has none stored, or
# `UNKNOWN` when alerts could not say (absent): not kept, asked again next time.
UNKNOWN: Mapping[str, Any] = {"unknown": True}
Ask = Callable[[str], Mapping[str, Any] | None]


class TerritoryCache:
    """Each tenant's territory, asked of alerts at most every `KEEP_S` seconds (per process)."""

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self._known: dict[str, tuple[float, Territory | None]] = {}

    def of(self, tenant: str, ask: Ask) -> Territory | None:
        now = time.monotonic()
        known = self._known.get(tenant)
        if known is not None and now - known[0] < self.keep_s:
            return known[1]
        document = ask(tenant)
        if document is UNKNOWN:
            log.warning("the territory of %s is unknown (alerts absent): not checked", tenant)
            return None
        territory = from_geojson(document) if document else None
        self._known[tenant] = (now, territory)
        return territory
