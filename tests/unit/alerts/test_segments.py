import pytest

from services.alerts.segments import analyse, is_gsm7, transliterate

pytestmark = pytest.mark.unit


def test_plain_french_with_gsm_accents_stays_gsm7() -> None:
    result = analyse("Alerte crue: évacuez les rez-de-chaussée à Bailleul.")
    assert result.encoding == "GSM-7"
    assert result.segments == 1


@pytest.mark.parametrize("letter", ["ê", "â", "î", "ô", "û", "ç", "œ", "’", "«"])
def test_french_letters_missing_from_gsm7_force_ucs2_and_are_named(letter: str) -> None:
    result = analyse(f"Prenez vos précautions {letter} maintenant")
    assert result.encoding == "UCS-2"
    assert result.forcing_characters == (letter,)


@pytest.mark.parametrize(
    ("length", "segments"), [(160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_segment_boundaries(length: int, segments: int) -> None:
    assert analyse("a" * length).segments == segments


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_segment_boundaries(length: int, segments: int) -> None:
    assert analyse("ê" * length).segments == segments


def test_extension_characters_cost_two_septets_and_are_not_split() -> None:
    assert analyse("€" * 80).segments == 1  # 160 septets
    assert analyse("€" * 81).segments == 2
    # 152 plain + one euro would straddle the first segment boundary: it moves to the second.
    result = analyse("a" * 152 + "€" + "a" * 10)
    assert result.units == 164
    assert result.segments == 2


def test_transliteration_gives_a_gsm7_text_that_keeps_gsm_accents() -> None:
    text = "Crue : l’eau monte, fermez vos fenêtres ; cœur du bourg « inondé »"
    variant = transliterate(text)
    assert is_gsm7(variant)
    assert variant == 'Crue : l\'eau monte, fermez vos fenetres ; coeur du bourg " inondé "'
    longer = text + " Restez chez vous."  # 84 characters: two UCS-2 segments, one GSM-7
    assert (analyse(longer).segments, analyse(transliterate(longer)).segments) == (2, 1)


def test_emoji_is_dropped_not_replaced_by_a_question_mark() -> None:
    assert transliterate("Danger 🌊 crue") == "Danger  crue"
    assert analyse("🌊" * 35).units == 70
