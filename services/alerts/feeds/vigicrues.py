"""Vigicrues InfoVigiCru GeoJSON: the flood level of each river reach (tronçon) and its course."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from contracts.feeds import ReachGeometry, VigicruesReach
from services.alerts.feeds.errors import FeedError, json_object, reader
from services.alerts.feeds.phenomena import as_level

# The level property changed name between Vigicrues layer versions; the current one comes first.
_LEVEL_KEYS = ("NivInfViCr", "NivSituVigiCruEnt")


@reader("InfoVigiCru document")
def parse_infovigicru(data: Mapping[str, Any] | bytes | str) -> list[VigicruesReach]:
    """Every reach of an InfoVigiCru FeatureCollection with its level 1-4 and its geometry."""
    document = _json(data)
    if document.get("type") != "FeatureCollection" or not isinstance(
        document.get("features"), list
    ):
        raise FeedError("not a GeoJSON FeatureCollection with a 'features' list")
    bulletin = document.get("RefInfoVigiCru")
    published_at = _published(document.get("DtHrInfoVigiCru"))
    reaches = []
    for index, feature in enumerate(document["features"]):
        where = f"features[{index}]"
        if not isinstance(feature, Mapping) or not isinstance(feature.get("properties"), Mapping):
            raise FeedError(f"{where} has no 'properties' object")
        props = feature["properties"]
        reach_id = props.get("CdEntCru")
        if not reach_id:
            raise FeedError(f"{where} has no reach code 'CdEntCru'")
        where = f"{where} (reach {reach_id})"
        level_key = next((k for k in _LEVEL_KEYS if props.get(k) is not None), None)
        if level_key is None:
            raise FeedError(f"{where} has no level ({' or '.join(_LEVEL_KEYS)})")
        reaches.append(
            VigicruesReach(
                reach_id=str(reach_id),
                name=str(props.get("lbentcru") or reach_id),
                level=as_level(props[level_key], f"{where} {level_key}"),
                geometry=_geometry(feature.get("geometry"), where),
                territory=str(props["cdensup_1"]) if props.get("cdensup_1") else None,
                bulletin=str(bulletin) if bulletin else None,
                published_at=published_at,
            )
        )
    return reaches


def _json(data: Mapping[str, Any] | bytes | str) -> Mapping[str, Any]:
    return json_object(data, "InfoVigiCru document")


def _published(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise FeedError(f"DtHrInfoVigiCru is not a date-time: {value!r}") from exc
    if moment.tzinfo is None:
        raise FeedError(f"DtHrInfoVigiCru has no time zone: {value!r}")
    return moment


def _geometry(geometry: Any, where: str) -> ReachGeometry:
    if not isinstance(geometry, Mapping):
        raise FeedError(f"{where} has no geometry")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "LineString":
        lines = [coordinates]
    elif kind == "MultiLineString" and isinstance(coordinates, list):
        lines = coordinates
    else:
        raise FeedError(f"{where}: geometry {kind!r} is not a LineString or MultiLineString")
    return ReachGeometry(type=kind, lines=tuple(_line(line, where) for line in lines))


def _line(line: Any, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(line, list) or len(line) < 2:
        raise FeedError(f"{where}: a line needs at least two positions")
    return tuple(_position(p, where) for p in line)


def _position(position: Any, where: str) -> tuple[float, float]:
    # Positions may carry an altitude; only longitude and latitude matter here.
    if not isinstance(position, list) or len(position) < 2:
        raise FeedError(f"{where}: a position is not [longitude, latitude]")
    lon, lat = position[0], position[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        raise FeedError(f"{where}: a position is not [longitude, latitude]: {position!r:.60}")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise FeedError(f"{where}: position {position!r:.60} is outside the WGS84 range")
    return (float(lon), float(lat))
