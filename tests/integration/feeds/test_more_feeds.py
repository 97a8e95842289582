"""More feed kinds, read against the real CAP schema and the IGN commune boundaries of the Nord:
MeteoAlarm (CAP and JSON), EDXL-DE envelopes, CAP in other languages, colours, scope, codes by
kind, and areas by polygon or circle. Documents are made for each case (tests/feed_documents)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts.feeds import FeedLevel, LevelChange
from services.alerts.drafting import draft_campaign
from services.alerts.feed_areas import concern
from services.alerts.feeds import FeedError, levels_from_cap, load_cap_schema
from services.alerts.feeds.cap_documents import read_cap_document
from services.alerts.feeds.levels import cap_not_drafted
from services.alerts.territory import Territory, communes_from_geojson, territory
from tests.feed_documents.made import (
    BAILLEUL_SQUARE,
    OVER_BAILLEUL_AND_METEREN,
    Area,
    Info,
    cap,
    edxl,
    meteoalarm_alert,
    meteoalarm_json,
)

pytestmark = pytest.mark.integration

# A tenant across the Nord and the Pas-de-Calais: Bailleul, Méteren, Steenvoorde, Arras.
COMMUNES = {"59043": "Bailleul", "59401": "Méteren", "59580": "Steenvoorde", "62041": "Arras"}


@pytest.fixture(scope="module")
def schema(shared_data: Path) -> Any:
    return load_cap_schema(shared_data / "cap" / "CAP-v1.2.xsd")


@pytest.fixture(scope="module")
def flandre(shared_data: Path) -> Territory:
    communes = []
    for name in ("communes-59-nord.geojson", "communes-62-pas-de-calais.geojson"):
        communes += communes_from_geojson(json.loads((shared_data / "communes" / name).read_text()))
    return territory(c for c in communes if c.code in COMMUNES)


def one_level(document: str, schema: Any) -> FeedLevel:
    (message,) = read_cap_document(document.encode(), schema)
    assert message.alert is not None, message.error
    (level,) = levels_from_cap(message.alert)
    return level


def draft_of(level: FeedLevel, code: str = "59043") -> Any:
    return draft_campaign(LevelChange(kind="raised", key=level.key, feed=level), code, "Bailleul")


def test_meteoalarm_cap_reads_awareness_and_its_nuts3_code_selects_the_nord(
    schema: Any, flandre: Territory
) -> None:
    document = cap(
        Info(
            event="Vent violent",
            severity="Moderate",
            parameters=(("awareness_level", "3; orange; Severe"), ("awareness_type", "1; Wind")),
            areas=(Area("Nord", geocodes=(("EMMA_ID", "FR059"), ("NUTS3", "FRE11"))),),
        )
    )
    level = one_level(document, schema)

    assert (level.level, level.phenomenon) == (3, "vent_violent")
    assert concern(level, COMMUNES, flandre).communes == ("59043", "59401", "59580")


def test_meteoalarm_json_warnings_read_like_their_cap(schema: Any, flandre: Territory) -> None:
    document = meteoalarm_json(
        meteoalarm_alert(identifier="wind-nord"),
        meteoalarm_alert(
            identifier="rain-pdc",
            level="2; yellow; Moderate",
            awareness_type="10; Rain",
            geocodes=(("NUTS3", "FRE12"),),
            area="Pas-de-Calais",
        ),
    )
    messages = read_cap_document(document.encode(), schema)

    levels = [lv for m in messages if m.alert for lv in levels_from_cap(m.alert)]
    assert [(lv.level, lv.phenomenon) for lv in levels] == [
        (3, "vent_violent"),
        (2, "pluie_inondation"),
    ]
    assert concern(levels[1], COMMUNES, flandre).communes == ("62041",)


def test_a_meteoalarm_json_warning_breaking_cap_is_refused_alone(schema: Any) -> None:
    broken = meteoalarm_alert(identifier="broken")
    broken["status"] = "Maybe"
    messages = read_cap_document(meteoalarm_json(meteoalarm_alert(), broken).encode(), schema)

    assert messages[0].alert is not None
    assert messages[1].alert is None and "status" in (messages[1].error or "")


def test_an_edxl_envelope_is_unwrapped_and_each_alert_judged_on_its_own(schema: Any) -> None:
    good = cap(identifier="in-envelope")
    bad = cap(identifier="no-urgency").replace("<urgency>Immediate</urgency>", "")
    messages = read_cap_document(edxl(good, bad).encode(), schema)

    assert messages[0].alert is not None and messages[0].alert.identifier == "in-envelope"
    assert messages[1].alert is None and "urgency" in (messages[1].error or "")


def test_english_only_cap_is_drafted_in_french_and_says_the_source_language(schema: Any) -> None:
    headline = "Severe gale warning for the Flanders coast"
    document = cap(Info(language="en-GB", event="Gale", headline=headline))
    draft = draft_of(one_level(document, schema))

    assert draft.source_language == "en-GB"
    assert "(source en anglais)" in draft.title
    assert "VENT VIOLENT" in draft.sms_body.upper()
    assert headline not in draft.sms_body and headline not in draft.voice_script
    assert "Gale" not in draft.sms_body


def test_french_is_preferred_then_english_then_the_first(schema: Any) -> None:
    german = Info(language="de-DE", event="Sturm", headline="Sturmwarnung")
    english = Info(language="en-US", event="Storm", headline="Storm warning")
    french = Info(language="fr-FR", event="Tempête", headline="Avis de tempête")

    assert one_level(cap(german, english, french), schema).language == "fr-FR"
    assert one_level(cap(german, english), schema).language == "en-US"
    only_german = one_level(cap(german), schema)
    assert only_german.language == "de-DE"
    assert "(source en allemand)" in draft_of(only_german).title


def test_an_unknown_foreign_event_is_called_evenement_never_pasted(schema: Any) -> None:
    document = cap(Info(language="nl-BE", event="Bosbrand", headline="Bosbrand in Heuvelland"))
    draft = draft_of(one_level(document, schema))

    assert "Bosbrand" not in draft.sms_body + draft.voice_script + draft.title
    assert "événement" in draft.title


def test_the_senders_own_colour_parameter_is_read(schema: Any) -> None:
    document = cap(Info(severity="Moderate", parameters=(("couleur", "Rouge"),)))

    assert one_level(document, schema).level == 4


@pytest.mark.parametrize("scope", ["Restricted", "Private"])
def test_a_cap_message_not_for_the_public_is_not_drafted(schema: Any, scope: str) -> None:
    (message,) = read_cap_document(cap(scope=scope).encode(), schema)

    assert message.alert is not None
    assert levels_from_cap(message.alert) == []
    assert cap_not_drafted(message.alert) == ("scope", f"diffusion {scope}, pas au public")


def test_a_foreign_code_equal_to_an_insee_code_selects_no_french_commune(
    schema: Any, flandre: Territory
) -> None:
    document = cap(
        Info(
            areas=(
                Area(
                    "Fairfax County",
                    geocodes=(("SAME", "059043"), ("FIPS6", "59043"), ("UGC", "59043")),
                ),
            )
        )
    )
    level = one_level(document, schema)
    found = concern(level, COMMUNES, flandre)

    assert found.communes == ()
    assert found.why == "no_area" and "FIPS6=59043" in (found.reason or "")


def test_a_drawn_polygon_over_two_communes_concerns_exactly_those_two(
    schema: Any, flandre: Territory
) -> None:
    document = cap(Info(areas=(Area("", polygons=(OVER_BAILLEUL_AND_METEREN,)),)))
    level = one_level(document, schema)

    assert concern(level, COMMUNES, flandre).communes == ("59043", "59401")


def test_a_circle_concerns_the_communes_it_reaches(schema: Any, flandre: Territory) -> None:
    # 3 km around the middle of Steenvoorde: Steenvoorde alone; 15 km: Bailleul and Méteren too.
    small = one_level(cap(Info(areas=(Area("Steenvoorde", circles=("50.821,2.585 3",)),))), schema)
    large = one_level(cap(Info(areas=(Area("Houtland", circles=("50.821,2.585 15",)),))), schema)

    assert concern(small, COMMUNES, flandre).communes == ("59580",)
    assert concern(large, COMMUNES, flandre).communes == ("59043", "59401", "59580")


def test_a_polygon_outside_the_territory_says_so(schema: Any, flandre: Territory) -> None:
    far = "48.1,-1.7 48.1,-1.6 48.2,-1.6 48.2,-1.7 48.1,-1.7"  # Rennes
    found = concern(
        one_level(cap(Info(areas=(Area("Rennes", polygons=(far,)),))), schema), COMMUNES, flandre
    )

    assert found.communes == () and found.why == "area_outside"


def test_an_empty_area_description_is_accepted(schema: Any, flandre: Territory) -> None:
    level = one_level(cap(Info(areas=(Area("", polygons=(BAILLEUL_SQUARE,)),))), schema)

    assert level.cap_areas[0].description == ""
    assert concern(level, COMMUNES, flandre).communes == ("59043",)


@pytest.mark.parametrize("radius", ["-5", "NaN", "inf", "1e300"])
def test_a_circle_with_a_radius_that_is_no_distance_is_refused(schema: Any, radius: str) -> None:
    document = cap(Info(areas=(Area("Flandre", circles=(f"50.8,2.6 {radius}",)),)))

    (message,) = read_cap_document(document.encode(), schema)
    assert message.alert is None
    assert "circle" in (message.error or "")


def test_a_document_that_is_neither_cap_nor_edxl_is_refused_naming_its_root(schema: Any) -> None:
    with pytest.raises(FeedError, match="EDXLDistribution"):
        read_cap_document(b"<rss version='2.0'><channel/></rss>", schema)
