"""The Météo-France vigilance map: a colour per department and phenomenon.

Two formats: the current JSON product (CDP_CARTE_EXTERNE, periods J and J1, each listing the
departments and, for the coastal phenomenon 9, the coastal domains "<department>10"), and the legacy
XML bulletin (NXFR33 LFPW). The national aggregate domain "FRA" concerns no commune and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from contracts.feeds import DepartmentVigilance, Level
from services.alerts.feeds.errors import FeedError, json_object, reader
from services.alerts.feeds.phenomena import METEOFRANCE_PHENOMENA, as_level
from services.alerts.feeds.xmlsafe import parse_xml

# A department (01-95, 2A, 2B, 971-976, 99 Andorra on the map), optionally its coast ("5910").
_DOMAIN = re.compile(r"^(?P<department>\d{2}|2[AB]|97\d)(?P<coast>10)?$")
_NATIONAL = "FRA"
# The legacy bulletin writes local times without a zone (maps are issued at 6h and 16h, Paris).
_LEGACY_ZONE = ZoneInfo("Europe/Paris")


@reader("vigilance map")
def parse_vigilance_map(data: Mapping[str, Any] | bytes | str) -> list[DepartmentVigilance]:
    """Every (department, phenomenon, period) of a vigilance map JSON, with its colour."""
    document = _json(data)
    product = _field(document, "product", "document")
    updated_at = _aware(_field(product, "update_time", "product"), "product.update_time")
    items: list[DepartmentVigilance] = []
    for p, period in enumerate(_list(product, "periods", "product")):
        where = f"product.periods[{p}]"
        name = str(_field(period, "echeance", where))
        start = _aware(_field(period, "begin_validity_time", where), f"{where}.begin_validity_time")
        end = _aware(_field(period, "end_validity_time", where), f"{where}.end_validity_time")
        timelaps = _field(period, "timelaps", where)
        for d, domain in enumerate(_list(timelaps, "domain_ids", f"{where}.timelaps")):
            dwhere = f"{where}.timelaps.domain_ids[{d}]"
            domain_id = str(_field(domain, "domain_id", dwhere))
            if domain_id == _NATIONAL:
                continue
            department, coastal = _domain(domain_id, dwhere)
            for i, item in enumerate(_list(domain, "phenomenon_items", dwhere)):
                iwhere = f"{dwhere}.phenomenon_items[{i}]"
                phenomenon_id = _phenomenon_id(_field(item, "phenomenon_id", iwhere), iwhere)
                level = as_level(_field(item, "phenomenon_max_color_id", iwhere), iwhere)
                valid_from, valid_to = _span(item, level, start, end, iwhere)
                items.append(
                    DepartmentVigilance(
                        domain_id=domain_id,
                        department=department,
                        coastal=coastal,
                        phenomenon_id=phenomenon_id,
                        phenomenon=METEOFRANCE_PHENOMENA[phenomenon_id],
                        level=level,
                        period=name,
                        valid_from=valid_from,
                        valid_to=valid_to,
                        updated_at=updated_at,
                    )
                )
    return items


@reader("vigilance map")
def parse_legacy_vigilance(document: bytes | str) -> list[DepartmentVigilance]:
    """The legacy XML bulletin: each <DV dep coul> lists phenomena (<risque val>) at that colour.

    A department's phenomena that no <DV> names are vert, so a phenomenon that went back to green
    shows as level 1 and ends the alert it had raised.
    """
    root = parse_xml(document)
    header = root.find("EV")
    if root.tag != "CV" or header is None:
        raise FeedError("not a legacy vigilance bulletin: expected <CV> holding an <EV> header")
    valid_from = _legacy_time(header, "daterun")
    valid_to = _legacy_time(header, "dateprevue")
    updated_at = _legacy_time(header, "dateinsert")
    period = header.get("echeance", "")
    levels: dict[tuple[str, int], Level] = {}
    for node in root.iter("DV"):
        where = f"<DV> line {node.sourceline}"
        domain_id = node.get("dep") or ""
        _, coastal = _domain(domain_id, where)
        colour = as_level(node.get("coul"), where)
        for phenomenon_id in (9,) if coastal else range(1, 9):
            levels.setdefault((domain_id, phenomenon_id), 1)
        for risk in node.iter("risque"):
            phenomenon_id = _phenomenon_id(risk.get("val"), f"<risque> line {risk.sourceline}")
            key = (domain_id, phenomenon_id)
            levels[key] = max(levels.get(key, 1), colour)
    return [
        DepartmentVigilance(
            domain_id=domain_id,
            department=_domain(domain_id, "")[0],
            coastal=_domain(domain_id, "")[1],
            phenomenon_id=phenomenon_id,
            phenomenon=METEOFRANCE_PHENOMENA[phenomenon_id],
            level=level,
            period=period,
            valid_from=valid_from,
            valid_to=valid_to,
            updated_at=updated_at,
        )
        for (domain_id, phenomenon_id), level in levels.items()
    ]


def _json(data: Mapping[str, Any] | bytes | str) -> Mapping[str, Any]:
    return json_object(data, "vigilance map")


def _field(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping):
        raise FeedError(f"{where} is not an object")
    if key not in mapping or mapping[key] is None:
        raise FeedError(f"{where} has no '{key}'")
    return mapping[key]


def _list(mapping: Any, key: str, where: str) -> list[Any]:
    value = _field(mapping, key, where)
    if not isinstance(value, list):
        raise FeedError(f"{where}.{key} is not a list")
    return value


def _aware(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise FeedError(f"{where} is not a date-time: {value!r}") from exc
    if moment.tzinfo is None:
        raise FeedError(f"{where} has no time zone: {value!r}")
    return moment


def _domain(domain_id: str, where: str) -> tuple[str, bool]:
    match = _DOMAIN.match(domain_id)
    if match is None:
        raise FeedError(f"{where}: {domain_id!r} is not a department or coastal domain code")
    return match["department"], match["coast"] is not None


def _phenomenon_id(value: Any, where: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise FeedError(f"{where}: phenomenon {value!r} is not a number") from exc
    if number not in METEOFRANCE_PHENOMENA:
        raise FeedError(f"{where}: unknown phenomenon {number} (expected 1 to 9)")
    return number


def _span(
    item: Mapping[str, Any], level: Level, start: datetime, end: datetime, where: str
) -> tuple[datetime, datetime]:
    """When the phenomenon is at its maximum colour within the period (the whole period if the
    map gives no hourly detail, as it does for crues)."""
    detail = item.get("timelaps_items") or []
    if not isinstance(detail, list):
        raise FeedError(f"{where}.timelaps_items is not a list")
    moments = [
        (_aware(t.get("begin_time"), where), _aware(t.get("end_time"), where))
        for t in detail
        if isinstance(t, Mapping) and t.get("color_id") == level
    ]
    if not moments:
        return start, end
    return min(b for b, _ in moments), max(e for _, e in moments)


def _legacy_time(header: Any, name: str) -> datetime:
    value = header.get(name) or ""
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=_LEGACY_ZONE)
    except ValueError as exc:
        raise FeedError(f"<EV {name}> is not a YYYYMMDDhhmmss time: {value!r}") from exc
