"""Which contacts a campaign target covers: communes, or a drawn area (GeoJSON). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

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


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def point_in_area(lon: float, lat: float, polygons: list[list[Ring]]) -> bool:
    """Inside the outer ring and outside every hole of one of the polygons."""
    for polygon in polygons:
        outer, *holes = polygon
        if _in_ring(lon, lat, outer) and not any(_in_ring(lon, lat, h) for h in holes):
            return True
    return False


def bounding_box(polygons: list[list[Ring]]) -> tuple[float, float, float, float]:
    lons = [p[0] for polygon in polygons for p in polygon[0]]
    lats = [p[1] for polygon in polygons for p in polygon[0]]
    return min(lons), min(lats), max(lons), max(lats)


def contacts_in_area(contacts: Iterable[Contact], polygons: list[list[Ring]]) -> list[Contact]:
    """Contacts whose address point lies in the area; those without a point are not guessed."""
    return [
        c
        for c in contacts
        if c.location is not None and point_in_area(c.location.lon, c.location.lat, polygons)
    ]
