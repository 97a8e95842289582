"""Which contacts a campaign target covers: communes, or a drawn area (GeoJSON). Pure.

Geometry goes through shapely (house rule: no hand-written point-in-polygon); the store's GEO
index makes the first cut (a box around the area), shapely the exact test on what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from contracts.alerts import Contact

Ring = Sequence[Sequence[float]]


class TargetError(ValueError):
    """The target cannot be used; the message says why."""


def _polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Feature":
        return _polygons(geometry.get("geometry") or {})
    if kind == "Polygon" and isinstance(coordinates, list | tuple):
        return [list(coordinates)]
    if kind == "MultiPolygon" and isinstance(coordinates, list | tuple):
        return [list(polygon) for polygon in coordinates]
    raise TargetError("the area must be a GeoJSON Polygon or MultiPolygon")


def validate_area(geometry: dict[str, Any]) -> list[list[Ring]]:
    polygons = _polygons(geometry)
    for polygon in polygons:
        if not polygon:
            raise TargetError("a polygon has no ring")
        for ring in polygon:
            if len(ring) < 4:
                raise TargetError("a polygon ring needs at least 4 positions (closed)")
            for position in ring:
                if len(position) < 2:
                    raise TargetError("a position needs longitude and latitude")
                lon, lat = float(position[0]), float(position[1])
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise TargetError(f"position {lon}, {lat} is not a longitude/latitude")
    return polygons


def area_shape(polygons: list[list[Ring]]) -> shapely.Geometry:
    """The area as one shapely geometry; a self-crossing drawing is mended (`make_valid`) so that
    a mayor's hurried click-drawn polygon still selects what it encloses."""
    parts = [
        Polygon([(p[0], p[1]) for p in outer], [[(p[0], p[1]) for p in h] for h in holes])
        for outer, *holes in polygons
    ]
    area = MultiPolygon(parts)
    return area if area.is_valid else shapely.make_valid(area)


def bounding_box(polygons: list[list[Ring]]) -> tuple[float, float, float, float]:
    west, south, east, north = area_shape(polygons).bounds
    return west, south, east, north


def contacts_in_area(contacts: Iterable[Contact], polygons: list[list[Ring]]) -> list[Contact]:
    """Contacts whose address point lies in the area (or on its edge); those without a point
    are not guessed."""
    placed = [c for c in contacts if c.location is not None]
    if not placed:
        return []
    area = area_shape(polygons)
    shapely.prepare(area)
    lons = np.fromiter((c.location.lon for c in placed if c.location), float, len(placed))
    lats = np.fromiter((c.location.lat for c in placed if c.location), float, len(placed))
    inside = shapely.intersects_xy(area, lons, lats)
    return [c for c, hit in zip(placed, inside, strict=True) if hit]
