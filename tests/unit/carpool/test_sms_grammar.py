"""The SMS grammar for passengers without a smartphone."""

from __future__ import annotations

import datetime as dt

import pytest

from services.carpool.sms_grammar import (
    HELP_FR,
    Cancel,
    Choose,
    Entry,
    Gazetteer,
    NotUnderstood,
    Search,
    normalise,
    parse,
)

pytestmark = pytest.mark.unit

MONDAY = dt.date(2026, 11, 30)
TERRITORY = Gazetteer(
    [
        Entry("Fruges", (50.515, 2.133)),
        Entry("Hesdin", (50.374, 2.038)),
        Entry("Méteren", (50.734, 2.699), "59270-C-002"),
        Entry("Bailleul", (50.739, 2.735)),
        Entry("Saint-Omer", (50.750, 2.252)),
        Entry("Le Doulieu", (50.683, 2.717)),
    ]
)


def test_the_issue_s_first_example() -> None:
    command = parse("COVOIT Fruges Hesdin demain 9h", TERRITORY, MONDAY)
    assert command == Search(
        Entry("Fruges", (50.515, 2.133)),
        Entry("Hesdin", (50.374, 2.038)),
        dt.date(2026, 12, 1),
        9 * 3600,
    )


def test_a_weekday_and_a_return() -> None:
    command = parse("COVOIT Méteren Bailleul lundi 8h30 retour 12h", TERRITORY, MONDAY)
    assert isinstance(command, Search)
    assert command.origin.place_id == "59270-C-002"
    assert command.day == dt.date(2026, 12, 7)  # next Monday, not today
    assert command.time_s == 8 * 3600 + 30 * 60 and command.return_time_s == 12 * 3600


@pytest.mark.parametrize(
    "text",
    [
        "covoit meteren bailleul demain 8h",
        "Covoit METEREN bailleul demain 8:00",
        "COVOIT Meterne Bailleul demain 8 h",  # a letter swapped
        "covoiturage méteren bailleul demain 8h00",
    ],
)
def test_place_names_are_forgiven(text: str) -> None:
    command = parse(text, TERRITORY, MONDAY)
    assert isinstance(command, Search), command
    assert command.origin.name == "Méteren" and command.destination.name == "Bailleul"


def test_names_of_several_words_and_saint_written_st() -> None:
    command = parse("COVOIT St Omer le doulieu 12/12 7h45", TERRITORY, MONDAY)
    assert isinstance(command, Search), command
    assert (command.origin.name, command.destination.name) == ("Saint-Omer", "Le Doulieu")
    assert command.day == dt.date(2026, 12, 12) and command.time_s == 7 * 3600 + 45 * 60


def test_choices_and_cancel() -> None:
    assert parse(" 1 ", TERRITORY, MONDAY) == Choose(1)
    assert parse("annuler", TERRITORY, MONDAY) == Cancel()
    assert parse("ANNULER", TERRITORY, MONDAY) == Cancel()


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("bonjour", "Pour trouver"),
        ("COVOIT Fruges Hesdin 9h", "Quel jour"),
        ("COVOIT Fruges Hesdin demain", "À quelle heure"),
        ("COVOIT Paris Hesdin demain 9h", "Lieux non reconnus : Paris Hesdin"),
        ("COVOIT Fruges Hesdin demain 25h", "À quelle heure"),
        ("", "Pour trouver"),
    ],
)
def test_what_is_not_understood_gets_a_short_french_answer(text: str, starts: str) -> None:
    command = parse(text, TERRITORY, MONDAY)
    assert isinstance(command, NotUnderstood)
    assert command.reply_fr.startswith(starts) and command.reply_fr.endswith(HELP_FR)
    assert len(command.reply_fr) <= 320  # two SMS segments at most


def test_normalise() -> None:
    assert normalise("Sainte-Marie-Cappel") == normalise("ste marie cappel")
    assert normalise("Aix-Noulette") == "aix noulette"
