"""A CAP document in any of the forms producers publish, as the CAP messages it carries.

- a CAP <alert> (1.2, or 1.1 read as 1.2);
- an EDXL-DE 1.0 envelope (<EDXLDistribution>) whose content objects embed CAP alerts: each is
  unwrapped and read on its own;
- MeteoAlarm's JSON form ({"warnings": [{"alert": {...CAP fields...}}]}): each alert is written
  back as CAP XML and checked against the same schema, so both forms obey the same rules.

An envelope or a list may carry several messages: one that is invalid is refused on its own
(`CapMessage.error`) and the others are still read. A document none of these forms is refused
whole with a `FeedError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from contracts.feeds import CapAlert
from services.alerts.feeds.cap import CAP12, is_cap_element, parse_cap_element
from services.alerts.feeds.errors import FeedError, json_object
from services.alerts.feeds.xmlsafe import check_size, parse_xml

EDXL_DE = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
_MAX_MESSAGES = 2000


@dataclass(frozen=True)
class CapMessage:
    """One message of a document: read (`alert`), or refused (`error` says why)."""

    where: str  # "the document", "EDXL contentObject 2", "warnings[3]"
    alert: CapAlert | None = None
    error: str | None = None


def read_cap_document(document: bytes | str, schema: Any) -> list[CapMessage]:
    check_size(document)
    text_start = document.lstrip()[:1]
    if text_start in (b"{", "{"):
        return _meteoalarm_json(document, schema)
    root = parse_xml(document)
    if is_cap_element(root):
        return [_read(root, schema, "the document")]
    qname = etree.QName(root)
    if qname.localname == "EDXLDistribution" and qname.namespace == EDXL_DE:
        return _edxl(root, schema)
    raise FeedError(
        f"neither CAP nor an EDXL-DE envelope: the root element is "
        f"{{{qname.namespace}}}{qname.localname}; expected a CAP <alert> ({CAP12}), an "
        f"<EDXLDistribution> ({EDXL_DE}) or MeteoAlarm's JSON"
    )


def _read(element: Any, schema: Any, where: str) -> CapMessage:
    try:
        return CapMessage(where=where, alert=parse_cap_element(element, schema))
    except FeedError as error:
        return CapMessage(where=where, error=str(error))


def _edxl(root: Any, schema: Any) -> list[CapMessage]:
    messages = []
    for index, content in enumerate(root.iter(f"{{{EDXL_DE}}}contentObject"), start=1):
        embedded = content.find(f"{{{EDXL_DE}}}xmlContent/{{{EDXL_DE}}}embeddedXMLContent")
        where = f"EDXL contentObject {index}"
        if embedded is None:
            continue  # a non-XML payload (a map, a PDF) carries no alert to read
        for child in embedded:
            # Read each alert as a document of its own, so the schema sees it alone.
            alone = etree.fromstring(etree.tostring(child))
            messages.append(_read(alone, schema, where))
    if not messages:
        raise FeedError("the EDXL-DE envelope embeds no CAP alert (no xmlContent to read)")
    return messages[:_MAX_MESSAGES]


# Element order in CAP 1.2 (the schema's sequences); names as MeteoAlarm's JSON spells them.
_ALERT_ORDER = (
    "identifier",
    "sender",
    "sent",
    "status",
    "msgType",
    "source",
    "scope",
    "restriction",
    "addresses",
    "code",
    "note",
    "references",
    "incidents",
    "info",
)
_INFO_ORDER = (
    "language",
    "category",
    "event",
    "responseType",
    "urgency",
    "severity",
    "certainty",
    "audience",
    "eventCode",
    "effective",
    "onset",
    "expires",
    "senderName",
    "headline",
    "description",
    "instruction",
    "web",
    "contact",
    "parameter",
    "resource",
    "area",
)
_AREA_ORDER = ("areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling")
_PAIR_ORDER = ("valueName", "value")
_RESOURCE_ORDER = ("resourceDesc", "mimeType", "size", "uri", "derefUri", "digest")
_CHILDREN = {
    "info": _INFO_ORDER,
    "area": _AREA_ORDER,
    "parameter": _PAIR_ORDER,
    "eventCode": _PAIR_ORDER,
    "geocode": _PAIR_ORDER,
    "resource": _RESOURCE_ORDER,
}  # fmt: skip


def _meteoalarm_json(document: bytes | str, schema: Any) -> list[CapMessage]:
    data = json_object(document, "MeteoAlarm JSON document")
    warnings = data.get("warnings")
    if not isinstance(warnings, list):
        raise FeedError("a MeteoAlarm JSON document holds a 'warnings' list; this one does not")
    messages = []
    for index, warning in enumerate(warnings[:_MAX_MESSAGES]):
        where = f"warnings[{index}]"
        alert = warning.get("alert") if isinstance(warning, Mapping) else None
        if not isinstance(alert, Mapping):
            messages.append(CapMessage(where=where, error=f"{where} has no 'alert' object"))
            continue
        try:
            element = _element("alert", alert, _ALERT_ORDER, where)
        except FeedError as error:
            messages.append(CapMessage(where=where, error=str(error)))
            continue
        messages.append(_read(element, schema, where))
    return messages


def _element(name: str, value: Mapping[str, Any], order: tuple[str, ...], where: str) -> Any:
    element = etree.Element(f"{{{CAP12}}}{name}", nsmap={None: CAP12})
    _fill(element, value, order, where)
    return element


def _fill(element: Any, value: Mapping[str, Any], order: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(value) - set(order))
    if unknown:
        raise FeedError(f"{where}: fields not in CAP: {', '.join(map(str, unknown[:5]))}")
    for name in order:
        if name not in value or value[name] is None:
            continue
        items = value[name] if isinstance(value[name], list) else [value[name]]
        for position, item in enumerate(items):
            child = etree.SubElement(element, f"{{{CAP12}}}{name}")
            here = f"{where}.{name}[{position}]"
            if name in _CHILDREN or isinstance(item, Mapping):
                if not isinstance(item, Mapping):
                    raise FeedError(f"{here} is not an object")
                _fill(child, item, _CHILDREN.get(name, ()), here)
            elif isinstance(item, str | int | float) and not isinstance(item, bool):
                try:
                    child.text = str(item)
                except ValueError:  # control characters or lone surrogates XML cannot carry
                    raise FeedError(f"{here} holds a character XML cannot carry") from None
            else:
                raise FeedError(f"{here} is not text")
