"""Parsing untrusted feed XML: no DTD, no entities, no network, a size cap; str or bytes."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from services.alerts.feeds.errors import FeedError

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# No vigilance document comes near this; a bigger one is refused before it is parsed.
MAX_DOCUMENT_BYTES = 5_000_000


def safe_parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        load_dtd=False,
        huge_tree=False,
    )


def check_size(document: bytes | str) -> None:
    size = len(document.encode() if isinstance(document, str) else document)
    if size > MAX_DOCUMENT_BYTES:
        raise FeedError(
            f"the document is {size / 1e6:.1f} MB; feed documents are refused above "
            f"{MAX_DOCUMENT_BYTES / 1e6:.0f} MB"
        )


def parse_xml(document: bytes | str) -> Any:
    """The root element. Bytes are decoded as their declaration says (ISO-8859-1 included).

    A document type declaration is refused: no feed needs one, and its entities are how a
    document makes a parser read files or expand itself without end.
    """
    check_size(document)
    if isinstance(document, str):
        # lxml refuses a str that still declares an encoding; the text is already decoded.
        document = _XML_DECLARATION.sub("", document, count=1)
    try:
        root = etree.fromstring(document, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not well-formed XML: {exc}") from exc
    except (LookupError, UnicodeError, ValueError) as exc:  # an encoding lxml cannot decode
        raise FeedError(f"not readable XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise FeedError(
            "the document declares a DTD (<!DOCTYPE ...>); feeds are refused with one, "
            "entity declarations included"
        )
    return root
