from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.feeds import FeedLevel, Level, LevelChange, Phenomenon
from services.alerts.drafting import ADVICE, draft_campaign
from services.alerts.segments import is_gsm7

pytestmark = pytest.mark.unit

UNTIL = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # 22h in Paris, a Tuesday


def feed(
    level: Level = 3,
    phenomenon: Phenomenon = "crues",
    source: str = "vigicrues",
    cancelled: bool = False,
) -> FeedLevel:
    return FeedLevel.model_validate(
        {
            "source": source,
            "key": f"{source}:AG7",
            "level": level,
            "cancelled": cancelled,
            "phenomenon": phenomenon,
            "event": "crues",
            "area_kind": "reach" if source == "vigicrues" else "department",
            "area_ids": ("AG7",),
            "area_label": "Lys amont",
            "valid_to": UNTIL,
            "reference": "Vigicrues 23112026_10, tronçon AG7",
        }
    )


def change(
    kind: str = "raised",
    previous: int | None = None,
    *,
    level: Level = 3,
    phenomenon: Phenomenon = "crues",
    source: str = "vigicrues",
) -> LevelChange:
    f = feed(level, phenomenon, source)
    return LevelChange.model_validate(
        {"kind": kind, "key": f.key, "previous_level": previous, "feed": f}
    )


@pytest.mark.parametrize(
    ("level", "severity"), [(2, "information"), (3, "warning"), (4, "emergency")]
)
def test_severity_follows_the_colour(level: Level, severity: str) -> None:
    assert draft_campaign(change(level=level), "59017", "Armentières").severity == severity


def test_an_alert_draft_is_in_french_names_the_commune_and_gives_advice() -> None:
    draft = draft_campaign(change(), "59017", "Armentières")

    assert draft.kind == "alert"
    assert draft.title == "Vigilance orange crues – Armentières"
    assert draft.sms_body.startswith("Mairie d'Armentières - Vigilance ORANGE crues")
    assert "jusqu'au 24/11 à 22h" in draft.sms_body
    assert "route inondée" in draft.sms_body and "vigicrues.gouv.fr" in draft.sms_body
    assert "mairie d'Armentières" in draft.voice_script
    assert "mardi 24 novembre à 22 heures" in draft.voice_script
    assert draft.voice_language == "fr-FR"
    assert draft.reference == "Vigicrues 23112026_10, tronçon AG7"


def test_the_same_item_and_commune_always_map_to_the_same_draft() -> None:
    alert = draft_campaign(change(), "59017", "Armentières")
    update = draft_campaign(change("updated", 3), "59017", "Armentières")
    other = draft_campaign(change(), "59360", "Erquinghem-Lys")

    assert alert.draft_key == update.draft_key == "vigicrues:AG7|59017"
    assert other.draft_key != alert.draft_key
    assert update.kind == "update" and "Mise à jour" in update.sms_body


def test_a_rise_from_jaune_updates_the_drafted_campaign() -> None:
    draft = draft_campaign(change("raised", 2, level=4), "59017", "Armentières")

    assert (draft.kind, draft.severity) == ("update", "emergency")


def test_the_end_of_a_warning_drafts_an_end_message() -> None:
    ended = draft_campaign(change("ended", 3, level=1), "59017", "Armentières")
    lowered = draft_campaign(change("ended", 4, level=2), "59017", "Armentières")

    assert ended.kind == "end" and ended.severity == "information"
    assert "Fin de la vigilance crues" in ended.sms_body
    assert "passe au jaune" in lowered.sms_body


@pytest.mark.parametrize(
    ("commune", "written"),
    [
        ("Le Quesnoy", "Mairie du Quesnoy"),
        ("Les Moëres", "Mairie des Moëres"),
        ("Bailleul", "Mairie de Bailleul"),
    ],
)
def test_the_commune_name_is_written_as_french_does(commune: str, written: str) -> None:
    assert draft_campaign(change(), "59000", commune).sms_body.startswith(written)


def test_sms_advice_fits_gsm7_so_a_draft_stays_cheap() -> None:
    for phenomenon, advice in ADVICE.items():
        assert is_gsm7(advice.sms), phenomenon
    draft = draft_campaign(change(), "59100", "Roubaix")
    assert is_gsm7(draft.sms_body) and len(draft.sms_body) <= 306


@pytest.mark.parametrize(
    ("phenomenon", "words"),
    [
        ("vagues_submersion", "littoral"),
        ("vent_violent", "objets"),
        ("orages", "abri"),
        ("pluie_inondation", "route inondée"),
        ("canicule", "eau"),
    ],
)
def test_each_phenomenon_gets_its_own_safety_advice(phenomenon: Phenomenon, words: str) -> None:
    draft = draft_campaign(
        change(phenomenon=phenomenon, source="meteofrance"), "59017", "Armentières"
    )

    assert words in draft.sms_body
    assert "Météo France place le département en vigilance orange" in draft.voice_script
    assert "vigilance.meteofrance.fr" in draft.sms_body


def test_a_cap_alert_is_drafted_as_an_alert_with_the_authorities_headline() -> None:
    base = change(level=4, phenomenon="autre", source="cap")
    cap = base.model_copy(
        update={"feed": base.feed.model_copy(update={"event": "séisme", "headline": "Séisme"})}
    )

    draft = draft_campaign(cap, "59017", "Armentières")

    assert draft.title == "Alerte rouge séisme – Armentières"
    assert "Alerte ROUGE séisme" in draft.sms_body
    assert "Message des autorités : Séisme." in draft.voice_script
    assert draft.severity == "emergency"
