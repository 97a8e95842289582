"""Parsing untrusted feed XML: no entity expansion, no network, str or bytes."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from services.alerts.feeds.errors import FeedError

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def safe_parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
    )


def parse_xml(document: bytes | str) -> Any:
    """The root element. Bytes are decoded as their declaration says (ISO-8859-1 included)."""
    if isinstance(document, str):
        # lxml refuses a str that still declares an encoding; the text is already decoded.
        document = _XML_DECLARATION.sub("", document, count=1)
    try:
        return etree.fromstring(document, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not well-formed XML: {exc}") from exc
