"""Property tests: whatever a feed document becomes (cut, spliced, re-encoded, given a DTD, a
bad circle, deep nesting or odd JSON values), the intake answers with its own refusal
(`InvalidMessage`, a 422 at the gateway) or reads it; it never raises anything else, and what it
reads can be targeted and drafted without error.

The documents are the real samples of ../shared/data/ (CAP and vigilance), mutated by hypothesis.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.feeds import LevelChange
from services.alerts.drafting import draft_campaign
from services.alerts.feed_areas import concern
from services.alerts.feed_intake import parse_feed
from services.alerts.feeds import load_cap_schema
from services.alerts.feeds.cap_documents import read_cap_document
from services.alerts.feeds.errors import FeedError
from services.alerts.territory import Territory, communes_from_geojson, territory
from services.common.events import InvalidMessage
from tests.conftest import SHARED_DATA
from tests.feed_documents.made import Area, Info, cap, edxl, meteoalarm_alert, meteoalarm_json

pytestmark = pytest.mark.integration

COMMUNES = {"59043": "Bailleul", "59401": "Méteren", "59580": "Steenvoorde", "62041": "Arras"}
CAP_SAMPLES = sorted(
    p.name for p in (SHARED_DATA / "cap").glob("*") if p.suffix in (".cap", ".xml")
)
JSON_SAMPLES = {
    "meteofrance": "enerlens-meteofrance-cartevigilance-sample.json",
    "vigicrues": "enerlens-vigicrues-infovigicru-sample.geojson",
}
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Pieces that have broken XML readers before, spliced anywhere into a document.
NASTY = [
    b'<!DOCTYPE alert [<!ENTITY x "xxxxxxxxxx">]>',
    b'<!DOCTYPE a SYSTEM "file:///etc/passwd">',
    b"&x;",
    b"&#0;",
    b"<circle>50.8,2.6 -5</circle>",
    b"<circle>50.8,2.6 NaN</circle>",
    b"<circle>95,2.6 1</circle>",
    b"<polygon>50,2 51,2 50,2</polygon>",
    b"<areaDesc></areaDesc>",
    b'<?xml version="1.0" encoding="klingon"?>',
    b'<?xml version="1.0" encoding="UTF-16"?>',
    b"\xff\xfe",
    b"\x00",
    b"<![CDATA[",
    b"]]>",
    b"<a>" * 300,
    b"\xc3\x28",
    b"<info><language>zz</language></info>",
    b"<scope>Private</scope>",
    b"<status>Exercise</status>",
]


@cache
def schema() -> Any:
    return load_cap_schema(SHARED_DATA / "cap" / "CAP-v1.2.xsd")


@cache
def schema_path() -> str:
    return str(SHARED_DATA / "cap" / "CAP-v1.2.xsd")


@cache
def flandre() -> Territory:
    communes = []
    for name in ("communes-59-nord.geojson", "communes-62-pas-de-calais.geojson"):
        document = json.loads((SHARED_DATA / "communes" / name).read_text())
        communes += communes_from_geojson(document)
    return territory(c for c in communes if c.code in COMMUNES)


def made_documents() -> list[bytes]:
    made = [
        cap(Info(areas=(Area("", circles=("50.82,2.58 3",)),))),
        cap(Info(language="en-GB", parameters=(("awareness_level", "2; yellow; Moderate"),))),
        edxl(cap(identifier="a"), cap(identifier="b")),
        meteoalarm_json(meteoalarm_alert()),
    ]
    return [m.encode() for m in made]


@st.composite
def mutated(draw: st.DrawFn, document: bytes) -> bytes:
    data = bytearray(document)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "splice", "insert", "delete", "flip", "repeat"]))
        if action == "cut":
            del data[at:]
        elif action == "splice":
            data[at:at] = draw(st.sampled_from(NASTY))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
    return bytes(data)


def read_everything(kind: str, document: bytes) -> None:
    """The intake's reading, then targeting and drafting of whatever it read."""
    try:
        parsed = parse_feed(kind, document, schema_path())
    except InvalidMessage as refusal:
        assert str(refusal), "a refusal says why"
        return
    for level in parsed.levels:
        reach = parsed.reaches.get(level.area_ids[0]) if level.area_ids else None
        found = concern(level, COMMUNES, flandre(), reach)
        for code in found.communes:
            change = LevelChange(kind="raised", key=level.key, feed=level)
            assert draft_campaign(change, code, COMMUNES[code]).sms_body


@pytest.mark.parametrize("name", CAP_SAMPLES)
@PROPERTY
@given(data=st.data())
def test_mutated_cap_samples_are_read_or_refused_never_crash(name: str, data: Any) -> None:
    document = data.draw(mutated((SHARED_DATA / "cap" / name).read_bytes()))
    read_everything("cap", document)


@PROPERTY
@given(data=st.data())
def test_mutated_made_documents_are_read_or_refused_never_crash(data: Any) -> None:
    base = data.draw(st.sampled_from(made_documents()))
    read_everything("cap", data.draw(mutated(base)))


@pytest.mark.parametrize("kind", sorted(JSON_SAMPLES))
@PROPERTY
@given(data=st.data())
def test_mutated_vigilance_bytes_are_read_or_refused(kind: str, data: Any) -> None:
    document = (SHARED_DATA / "vigilance" / JSON_SAMPLES[kind]).read_bytes()
    read_everything(kind, data.draw(mutated(document)))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["59", "5910", "FRA", "2A", "4", "NO50", "2026-11-30T06:00:00+01:00"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[head] = _replace(node[head], tuple(rest), value)
    return copy


@pytest.mark.parametrize("kind", ["meteofrance", "vigicrues", "meteoalarm"])
@PROPERTY
@given(data=st.data())
def test_json_documents_with_any_value_anywhere_are_read_or_refused(kind: str, data: Any) -> None:
    if kind == "meteoalarm":
        document = json.loads(meteoalarm_json(meteoalarm_alert(), meteoalarm_alert("b")))
    else:
        document = json.loads((SHARED_DATA / "vigilance" / JSON_SAMPLES[kind]).read_text())
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)))
        document = _replace(document, path, data.draw(JSON_VALUES))
    read_everything("cap" if kind == "meteoalarm" else kind, json.dumps(document).encode())


def test_a_50_mb_upload_is_refused_naming_the_limit() -> None:
    huge = b"<alert>" + b" " * 50_000_000 + b"</alert>"
    with pytest.raises(InvalidMessage, match="refused above 5 MB"):
        parse_feed("cap", huge, schema_path())


def test_read_cap_document_raises_only_its_own_error_on_a_non_document() -> None:
    with pytest.raises(FeedError):
        read_cap_document(b"\x00\x01binary", schema())
