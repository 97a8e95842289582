"""CAP (Common Alerting Protocol) messages, from any producer, checked against the OASIS schema.

CAP 1.2 is validated as is. CAP 1.1 is still what several producers publish (USGS, older NWS
feeds); its structure is the same as 1.2 bar a few enumeration values, so a 1.1 message is read
under the 1.2 schema after renaming its namespace, and the alert says so in `reader_notes`. A 1.1
message that breaks the 1.2 rules is rejected like any invalid message, with the schema's reason.

The XSD is never shipped with the code: the caller loads it once with `load_cap_schema(path)`.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from contracts.feeds import CapAlert, CapArea, CapCircle, CapInfo, CapReference, CapValue
from services.alerts.feeds.errors import FeedError, reader
from services.alerts.feeds.geocodes import commune_codes, department_codes
from services.alerts.feeds.xmlsafe import parse_xml, safe_parser

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11 = "urn:oasis:names:tc:emergency:cap:1.1"
_MAX_REASONS = 3
_HALF_EARTH_KM = 20_040  # half the equator: no circle on the ground is wider


def load_cap_schema(xsd_path: str | Path) -> Any:
    """The OASIS CAP 1.2 schema, compiled once and reused for every message."""
    try:
        return etree.XMLSchema(etree.parse(str(xsd_path), safe_parser()))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise FeedError(f"cannot load the CAP schema from {xsd_path}: {exc}") from exc


def parse_cap(document: bytes | str, schema: Any) -> CapAlert:
    """Read one CAP message; raise `FeedError` saying what is wrong if it is not valid CAP 1.2."""
    return parse_cap_element(parse_xml(document), schema)


def is_cap_element(element: Any) -> bool:
    qname = etree.QName(element)
    return qname.localname == "alert" and qname.namespace in (CAP12, CAP11)


@reader("CAP message")
def parse_cap_element(root: Any, schema: Any) -> CapAlert:
    """One CAP <alert> element already parsed (alone, or taken out of an envelope)."""
    qname = etree.QName(root)
    if qname.localname != "alert" or qname.namespace not in (CAP12, CAP11):
        raise FeedError(
            f"not a CAP alert: the root element is {{{qname.namespace}}}{qname.localname}, "
            f"expected an <alert> in the namespace {CAP12} (or {CAP11})"
        )
    notes: list[str] = []
    version = "1.2"
    if qname.namespace == CAP11:
        version = "1.1"
        _upgrade_11(root)
        notes.append("CAP 1.1 message read and validated under the CAP 1.2 schema")
    try:
        valid = schema.validate(root)
    except etree.XMLSchemaValidateError as exc:
        raise FeedError(f"CAP {version} that the schema cannot check: {exc}") from None
    if not valid:
        raise FeedError(f"invalid CAP {version}: {_schema_reasons(schema)}")
    return _alert(root, version, tuple(notes))


def _upgrade_11(root: Any) -> None:
    for element in root.iter():
        qname = etree.QName(element)
        if qname.namespace == CAP11:
            element.tag = f"{{{CAP12}}}{qname.localname}"
    # CAP 1.1 deprecated "Very Likely" and 1.2 dropped it; the 1.2 text says to read it as Likely.
    for certainty in root.iter(f"{{{CAP12}}}certainty"):
        if (certainty.text or "").strip() == "Very Likely":
            certainty.text = "Likely"
    etree.cleanup_namespaces(root)


def _schema_reasons(schema: Any) -> str:
    reasons = []
    for entry in list(schema.error_log)[:_MAX_REASONS]:
        message = entry.message.replace(f"{{{CAP12}}}", "")
        reasons.append(f"line {entry.line}: {message}")
    return "; ".join(reasons) or "rejected by the CAP 1.2 schema"


def _tag(name: str) -> str:
    return f"{{{CAP12}}}{name}"


def _text(element: Any, name: str) -> str | None:
    value = element.findtext(_tag(name))
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(element: Any, name: str) -> str:
    value = _text(element, name)
    if value is None:  # the schema should have caught it; say so rather than fail obscurely
        raise FeedError(f"<{name}> is missing or empty (line {element.sourceline})")
    return value


def _all(element: Any, name: str) -> tuple[str, ...]:
    return tuple(v.text.strip() for v in element.findall(_tag(name)) if v.text and v.text.strip())


def _time(element: Any, name: str) -> datetime | None:
    value = _text(element, name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FeedError(f"<{name}> is not a date-time: {value!r}") from exc
    if moment.tzinfo is None:
        raise FeedError(f"<{name}> has no time zone: {value!r}")
    return moment


def _values(element: Any, name: str) -> tuple[CapValue, ...]:
    return tuple(
        CapValue(name=_text(node, "valueName") or "", value=_text(node, "value") or "")
        for node in element.findall(_tag(name))
    )


def _references(text: str | None) -> tuple[CapReference, ...]:
    # "sender,identifier,sent" triples separated by whitespace.
    refs = []
    for triple in (text or "").split():
        parts = triple.split(",")
        if len(parts) != 3:
            raise FeedError(f"<references> entry is not sender,identifier,sent: {triple!r}")
        refs.append(CapReference(sender=parts[0], identifier=parts[1], sent=parts[2]))
    return tuple(refs)


def _point(pair: str, where: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in pair.split(","))
    except ValueError as exc:
        raise FeedError(f"{where}: {pair!r} is not a 'latitude,longitude' pair") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FeedError(f"{where}: {pair!r} is outside the WGS84 range")
    return (lon, lat)


def _polygon(text: str, where: str) -> tuple[tuple[float, float], ...]:
    ring = tuple(_point(pair, where) for pair in text.split())
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise FeedError(f"{where}: a polygon needs at least 4 points, the first repeated last")
    return ring


def _circle(text: str, where: str) -> CapCircle:
    parts = text.split()
    if len(parts) != 2:
        raise FeedError(f"{where}: a circle is 'latitude,longitude radius', got {text!r}")
    try:
        radius = float(parts[1])
    except ValueError as exc:
        raise FeedError(f"{where}: circle radius {parts[1]!r} is not a number") from exc
    if not math.isfinite(radius) or radius < 0:
        raise FeedError(f"{where}: circle radius {parts[1]!r} is not a distance in km (>= 0)")
    if radius > _HALF_EARTH_KM:
        raise FeedError(f"{where}: circle radius {parts[1]!r} km is wider than the Earth")
    return CapCircle(center=_point(parts[0], where), radius_km=radius)


def _float(element: Any, name: str) -> float | None:
    value = _text(element, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise FeedError(f"<{name}> is not a number: {value!r}") from exc
    if not math.isfinite(number):
        raise FeedError(f"<{name}> is not a finite number: {value!r}")
    return number


def _area(node: Any) -> CapArea:
    # The schema allows an empty <areaDesc>: the area is then known by its shapes and codes.
    description = _text(node, "areaDesc") or ""
    where = f"area {description!r} (line {node.sourceline})"
    geocodes = _values(node, "geocode")
    return CapArea(
        description=description,
        polygons=tuple(_polygon(p, where) for p in _all(node, "polygon")),
        circles=tuple(_circle(c, where) for c in _all(node, "circle")),
        geocodes=geocodes,
        insee_codes=commune_codes(geocodes),
        departments=department_codes(geocodes),
        altitude=_float(node, "altitude"),
        ceiling=_float(node, "ceiling"),
    )


def _info(node: Any) -> CapInfo:
    return CapInfo(
        language=_text(node, "language") or "en-US",
        categories=_all(node, "category"),
        event=_required(node, "event"),
        response_types=_all(node, "responseType"),
        urgency=_required(node, "urgency"),
        severity=_required(node, "severity"),
        certainty=_required(node, "certainty"),
        event_codes=_values(node, "eventCode"),
        effective=_time(node, "effective"),
        onset=_time(node, "onset"),
        expires=_time(node, "expires"),
        sender_name=_text(node, "senderName"),
        headline=_text(node, "headline"),
        description=_text(node, "description"),
        instruction=_text(node, "instruction"),
        web=_text(node, "web"),
        parameters=_values(node, "parameter"),
        areas=tuple(_area(a) for a in node.findall(_tag("area"))),
    )


def _alert(root: Any, version: str, notes: tuple[str, ...]) -> CapAlert:
    sent = _time(root, "sent")
    if sent is None:  # required by the schema; kept explicit for the type checker
        raise FeedError("<sent> is missing")
    return CapAlert.model_validate(
        {
            "cap_version": version,
            "identifier": _required(root, "identifier"),
            "sender": _required(root, "sender"),
            "sent": sent,
            "status": _required(root, "status"),
            "msg_type": _required(root, "msgType"),
            "scope": _required(root, "scope"),
            "source": _text(root, "source"),
            "note": _text(root, "note"),
            "references": _references(_text(root, "references")),
            "incidents": _text(root, "incidents"),
            "infos": tuple(_info(i) for i in root.findall(_tag("info"))),
            "reader_notes": notes,
        }
    )
