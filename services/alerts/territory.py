"""Commune boundaries and the areas they fall in: which communes a geometry covers.

Pure: it takes GeoJSON (as decoded JSON) and shapely geometries, and returns INSEE codes.
Boundaries come from IGN Admin Express (one feature per commune, properties `code` and `nom`)
or from a GeoJSON file the intercommunality provides with the same properties (`insee` or
`code_insee` and `name` are read too). Coordinates are WGS84 (longitude, latitude).

A geometry covers a commune when their interiors meet: a polygon that only shares a border
with a commune does not concern it. Lookups go through a shapely STRtree.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from contracts.feeds import CapArea

_CODE_KEYS = ("code", "insee", "code_insee", "INSEE_COM", "codgeo")
_NAME_KEYS = ("nom", "name", "NOM", "libgeo")
_EARTH_RADIUS_M = 6_371_008.8
_CIRCLE_SEGMENTS = 32


class TerritoryError(ValueError):
    """Boundaries that cannot be read, or a commune code they do not hold; says why."""


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    shape: BaseGeometry


@dataclass(frozen=True)
class Territory:
    """Communes with their boundaries, indexed for area lookups."""

    communes: tuple[Commune, ...]
    _tree: shapely.STRtree = field(repr=False, compare=False)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.communes)

    def get(self, code: str) -> Commune | None:
        return next((c for c in self.communes if c.code == code), None)


def territory(communes: Iterable[Commune]) -> Territory:
    kept = tuple(communes)
    return Territory(communes=kept, _tree=shapely.STRtree([c.shape for c in kept]))


def communes_from_geojson(document: Mapping[str, Any]) -> list[Commune]:
    """The communes of a GeoJSON FeatureCollection (Polygon or MultiPolygon features)."""
    features = document.get("features") if isinstance(document, Mapping) else None
    if document.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise TerritoryError("not a GeoJSON FeatureCollection with a 'features' list")
    found = []
    for index, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, Mapping) else None
        if not isinstance(props, Mapping):
            raise TerritoryError(f"feature {index} has no properties")
        code = next((str(props[k]) for k in _CODE_KEYS if props.get(k)), None)
        if code is None:
            raise TerritoryError(
                f"feature {index} has no INSEE code (one of {', '.join(_CODE_KEYS)})"
            )
        name = next((str(props[k]) for k in _NAME_KEYS if props.get(k)), code)
        try:
            shape = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise TerritoryError(f"feature {index} ({code}): unreadable geometry: {exc}") from None
        if shape.geom_type not in ("Polygon", "MultiPolygon") or shape.is_empty:
            raise TerritoryError(f"feature {index} ({code}) is a {shape.geom_type}, not a surface")
        found.append(Commune(code=code, name=name, shape=shapely.make_valid(shape)))
    return found


def to_geojson(communes: Iterable[Commune]) -> dict[str, Any]:
    """The communes as a FeatureCollection (`code`, `nom`), for storage and for the pages."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": c.code, "nom": c.name},
                "geometry": dict(shapely.geometry.mapping(c.shape)),
            }
            for c in communes
        ],
    }


def communes_covering(where: Territory, geometry: BaseGeometry | Mapping[str, Any]) -> list[str]:
    """The INSEE codes of the communes `geometry` covers (their interiors meet), sorted.

    The one function every area target uses: a CAP polygon or circle, a drawn campaign area, a
    flood zone. `geometry` is a shapely geometry or a GeoJSON geometry mapping.
    """
    shape = geometry if isinstance(geometry, BaseGeometry) else shapely.geometry.shape(geometry)
    if shape.is_empty:
        return []
    shape = shapely.make_valid(shape)
    hits = where._tree.query(shape, predicate="intersects")
    return sorted(
        where.communes[i].code for i in hits if not shape.touches(where.communes[i].shape)
    )


def circle(lon: float, lat: float, radius_km: float) -> BaseGeometry:
    """A circle on the ground as a WGS84 polygon (a local projection around its centre; its
    error over the tens of kilometres an alert spans is far below a commune's size)."""
    if radius_km <= 0:
        return shapely.Point(lon, lat)
    ky = math.radians(1) * _EARTH_RADIUS_M
    kx = ky * max(math.cos(math.radians(lat)), 1e-6)
    disc = shapely.Point(0.0, 0.0).buffer(radius_km * 1000.0, quad_segs=_CIRCLE_SEGMENTS // 4)
    return shapely.transform(disc, lambda xy: xy / [kx, ky] + [lon, lat])


def cap_area_shape(area: CapArea) -> BaseGeometry | None:
    """The union of a CAP area's polygons and circles, or None when it gives neither."""
    shapes: list[BaseGeometry] = [shapely.Polygon(ring) for ring in area.polygons]
    shapes += [circle(c.center[0], c.center[1], c.radius_km) for c in area.circles]
    if not shapes:
        return None
    return shapely.union_all([shapely.make_valid(s) for s in shapes])


def nearest_names(code: str, name: str, reference: Iterable[Commune], count: int = 3) -> str:
    """What a person most likely meant by `code=name` that the reference does not hold."""
    known = list(reference)
    by_name = {_fold(c.name): c for c in known}
    same_name = by_name.get(_fold(name))
    if same_name is not None:
        return f"{same_name.name} is {same_name.code}"
    close = difflib.get_close_matches(_fold(name), list(by_name), n=count, cutoff=0.6)
    named = [f"{by_name[n].name} ({by_name[n].code})" for n in close]
    return "; ".join(named) if named else "no commune of a close name"


def same_name(official: str, given: str) -> bool:
    """Whether `given` is `official` as a person may type it (case, accents, hyphens, a typo)."""
    a, b = _fold(official), _fold(given)
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.85


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").replace("'", " ").split())
