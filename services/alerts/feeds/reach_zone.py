"""How far a place is from a river reach, and the flood zone around it.

Distances use a local equirectangular projection centred on the place or the reach: over the
few kilometres a flood zone spans, its error stays near a thousandth of the distance, and it needs
no projection library. shapely only draws the buffer.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import numpy as np
import shapely
import shapely.geometry

from contracts.feeds import ReachGeometry

_EARTH_RADIUS_M = 6_371_008.8


def distance_to_reach_m(reach: ReachGeometry, lat: float, lon: float) -> float:
    """The shortest distance in metres from (lat, lon) to the reach's course."""
    project = _projection(lat, lon)
    best = math.inf
    for line in reach.lines:
        points = [project(plon, plat) for plon, plat in line]
        for (ax, ay), (bx, by) in pairwise(points):
            best = min(best, _point_segment(ax, ay, bx, by))
    return best


def is_near_reach(reach: ReachGeometry, lat: float, lon: float, metres: float) -> bool:
    """Whether (lat, lon) lies within `metres` of the reach: the test for a flood-zone target."""
    return distance_to_reach_m(reach, lat, lon) <= metres


def flood_zone(reach: ReachGeometry, metres: float) -> dict[str, Any]:
    """The reach buffered by `metres`, as a GeoJSON Polygon or MultiPolygon in WGS84."""
    if metres <= 0:
        raise ValueError("a flood zone needs a positive buffer distance")
    points = np.array([p for line in reach.lines for p in line])
    lon0, lat0 = points.mean(axis=0)
    # Metres per degree along each axis around the reach's centre.
    ky = math.radians(1) * _EARTH_RADIUS_M
    kx = ky * math.cos(math.radians(lat0))
    origin, scale = np.array([lon0, lat0]), np.array([kx, ky])
    course = shapely.MultiLineString([list(line) for line in reach.lines])
    local = shapely.transform(course, lambda xy: (xy - origin) * scale)
    zone = shapely.transform(local.buffer(metres), lambda xy: xy / scale + origin)
    return dict(shapely.geometry.mapping(zone))


def _projection(lat0: float, lon0: float) -> Any:
    scale = math.cos(math.radians(lat0))

    def project(lon: float, lat: float) -> tuple[float, float]:
        x = math.radians(lon - lon0) * _EARTH_RADIUS_M * scale
        return x, math.radians(lat - lat0) * _EARTH_RADIUS_M

    return project


def _point_segment(ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from the origin (the projected place) to the segment AB."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy)
