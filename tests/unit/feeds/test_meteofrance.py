from __future__ import annotations

import copy
from typing import Any

import pytest

from services.alerts.feeds import FeedError, parse_legacy_vigilance, parse_vigilance_map

pytestmark = pytest.mark.unit

MAP: dict[str, Any] = {
    "product": {
        "update_time": "2026-11-23T05:00:00Z",
        "periods": [
            {
                "echeance": "J",
                "begin_validity_time": "2026-11-23T05:00:00Z",
                "end_validity_time": "2026-11-23T23:00:00Z",
                "timelaps": {
                    "domain_ids": [
                        {"domain_id": "FRA", "max_color_id": 3, "phenomenon_items": []},
                        {
                            "domain_id": "59",
                            "phenomenon_items": [
                                {
                                    "phenomenon_id": "4",
                                    "phenomenon_max_color_id": 3,
                                    "timelaps_items": [],
                                },
                                {
                                    "phenomenon_id": "1",
                                    "phenomenon_max_color_id": 2,
                                    "timelaps_items": [
                                        {
                                            "begin_time": "2026-11-23T05:00:00Z",
                                            "end_time": "2026-11-23T12:00:00Z",
                                            "color_id": 1,
                                        },
                                        {
                                            "begin_time": "2026-11-23T12:00:00Z",
                                            "end_time": "2026-11-23T23:00:00Z",
                                            "color_id": 2,
                                        },
                                    ],
                                },
                            ],
                        },
                        {
                            "domain_id": "5910",
                            "phenomenon_items": [
                                {"phenomenon_id": "9", "phenomenon_max_color_id": 2}
                            ],
                        },
                    ]
                },
            }
        ],
    }
}


def test_departments_get_their_colour_per_phenomenon_and_the_national_domain_is_left_out() -> None:
    items = {(i.domain_id, i.phenomenon): i for i in parse_vigilance_map(MAP)}

    assert set(items) == {("59", "crues"), ("59", "vent_violent"), ("5910", "vagues_submersion")}
    assert items[("59", "crues")].level == 3
    coast = items[("5910", "vagues_submersion")]
    assert (coast.department, coast.coastal, coast.level) == ("59", True, 2)


def test_validity_is_when_the_top_colour_holds_or_the_whole_period() -> None:
    items = {(i.domain_id, i.phenomenon): i for i in parse_vigilance_map(MAP)}

    wind = items[("59", "vent_violent")]
    assert wind.valid_from.hour == 12 and wind.valid_to.hour == 23
    floods = items[("59", "crues")]
    assert floods.valid_from.hour == 5 and floods.valid_to.hour == 23


def test_bytes_are_accepted_like_decoded_json() -> None:
    import json

    assert parse_vigilance_map(json.dumps(MAP).encode()) == parse_vigilance_map(MAP)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d["product"].pop("periods"), "product has no 'periods'"),
        (
            lambda d: d["product"]["periods"][0]["timelaps"]["domain_ids"][1]["phenomenon_items"][
                0
            ].update(phenomenon_max_color_id=7),
            "not a vigilance level",
        ),
        (
            lambda d: d["product"]["periods"][0]["timelaps"]["domain_ids"][1].update(
                domain_id="Nord"
            ),
            "'Nord' is not a department",
        ),
        (
            lambda d: d["product"]["periods"][0]["timelaps"]["domain_ids"][2]["phenomenon_items"][
                0
            ].update(phenomenon_id="12"),
            "unknown phenomenon 12",
        ),
        (lambda d: d["product"].update(update_time="hier"), "update_time is not a date-time"),
    ],
)
def test_malformed_maps_are_rejected_with_the_place_of_the_fault(mutate: Any, reason: str) -> None:
    document = copy.deepcopy(MAP)
    mutate(document)

    with pytest.raises(FeedError, match=reason):
        parse_vigilance_map(document)


def test_not_json_is_a_feed_error() -> None:
    with pytest.raises(FeedError, match="not JSON"):
        parse_vigilance_map(b"<html>maintenance</html>")


LEGACY = """<?xml version="1.0" encoding="UTF-8"?><CV>
<EV dateinsert="20181014060000" dateprevue="20181015060000" daterun="20181014060000" echeance="24"/>
<DV dep="11" coul="4"><risque val="2"/></DV>
<DV dep="11" coul="3"><risque val="4"/></DV>
<DV dep="1110" coul="2"><risque val="9"/></DV>
<DV dep="12" coul="1"/>
</CV>"""


def test_legacy_bulletin_gives_listed_phenomena_their_colour_and_the_others_vert() -> None:
    items = {(i.domain_id, i.phenomenon): i.level for i in parse_legacy_vigilance(LEGACY)}

    assert items[("11", "pluie_inondation")] == 4
    assert items[("11", "crues")] == 3
    assert items[("11", "orages")] == 1
    assert items[("1110", "vagues_submersion")] == 2
    assert items[("12", "crues")] == 1
    assert ("12", "vagues_submersion") not in items


def test_legacy_times_are_paris_local_times() -> None:
    item = parse_legacy_vigilance(LEGACY)[0]

    assert item.valid_from.utcoffset() is not None
    assert item.valid_from.isoformat() == "2018-10-14T06:00:00+02:00"


def test_legacy_without_header_is_rejected() -> None:
    with pytest.raises(FeedError, match="expected <CV> holding an <EV>"):
        parse_legacy_vigilance("<CV><DV dep='11' coul='2'/></CV>")
