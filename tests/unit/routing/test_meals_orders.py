"""Seniors' meals, pure: cutoffs (48 h, 72 h over a weekend, per tenant), orders refused with
the reason (diet, texture, allergy, paused, not a delivery day, after the cutoff, unknown
choice), pauses that resume by themselves, who reaches a senior, the day and the kitchen sheet."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.identity import Caller
from contracts.meals import (
    FamilyLink,
    MealSettings,
    MenuChoice,
    MenuDay,
    OrderIn,
    Pause,
    Senior,
    WeeklyMenu,
)
from contracts.meals_events import EmergencyContact
from services.routing.meals import ordering, profiles
from services.routing.meals.cutoff import PARIS, cutoff_of
from services.routing.meals.day import deliveries_of_day, delivery_id
from services.routing.meals.kitchen import NOT_ON_A_ROUND, kitchen_sheet
from services.routing.meals.register import import_report

pytestmark = pytest.mark.unit

SETTINGS = MealSettings()
MONDAY = dt.date(2026, 12, 7)
WEDNESDAY = dt.date(2026, 12, 9)
BEFORE = dt.datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)  # a week ahead: everything open
CONTACT = EmergencyContact(name="Paul Lefebvre", phone="+33612345678", relation="family")


def senior(**extra: object) -> Senior:
    fields: dict[str, object] = {
        "id": "s-1", "first_name": "Jeanne", "last_name": "Lefebvre",
        "address": "3 rue des Écoles", "commune": "59350", "location": (51.2983, 4.7331),
        "weekdays": ("lun", "mer", "ven"), "emergency_contacts": (CONTACT,), **extra,
    }  # fmt: skip
    return Senior.model_validate(fields)


MENU = WeeklyMenu(
    week=MONDAY,
    days=(
        MenuDay(day=MONDAY, choices=(
            MenuChoice(id="blanquette", name="Blanquette de veau", textures=("normale", "hachee")),
            MenuChoice(id="poisson", name="Colin sauce citron", diets=("sans_sel", "diabetique"),
                       textures=("normale", "hachee", "mixee"), allergens=("poisson",)),
        )),
        MenuDay(day=WEDNESDAY, choices=(
            MenuChoice(id="gratin", name="Gratin de pâtes", allergens=("gluten", "lait")),
        )),
    ),
)  # fmt: skip


def test_cutoff_is_48_hours_and_72_over_a_weekend_and_set_per_tenant() -> None:
    assert cutoff_of(WEDNESDAY, SETTINGS) == dt.datetime(2026, 12, 7, 0, 0, tzinfo=PARIS)
    # A Monday meal: the 48 hours would run over the weekend, so 72: Friday midnight.
    assert cutoff_of(MONDAY, SETTINGS) == dt.datetime(2026, 12, 4, 0, 0, tzinfo=PARIS)
    shorter = MealSettings(cutoff_hours=24, weekend_cutoff_hours=24)
    assert cutoff_of(WEDNESDAY, shorter) == dt.datetime(2026, 12, 8, 0, 0, tzinfo=PARIS)


def test_an_order_is_placed_with_the_seniors_texture_and_its_cutoff() -> None:
    order = ordering.place_order(
        senior(texture="hachee"), MENU, OrderIn(day=MONDAY, choice_id="blanquette"),
        "famille-lefebvre", BEFORE, SETTINGS,
    )  # fmt: skip
    assert (order.choice_name, order.texture, order.status) == (
        "Blanquette de veau",
        "hachee",
        "placed",
    )
    assert order.cutoff == dt.datetime(2026, 12, 4, 0, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("profile", "wanted", "reason"),
    [
        ({"diets": ("sans_sel",)}, "blanquette", "Blanquette de veau is not sans_sel"),
        ({"texture": "mixee"}, "blanquette", "does not come mixee"),
        ({"allergies": ("Poisson",), "diets": ("sans_sel",)}, "poisson", "contains poisson"),
        ({}, "couscous", "no choice 'couscous' on 2026-12-07's menu"),
    ],
)
def test_an_order_against_the_seniors_diet_texture_or_allergies_is_refused_saying_why(
    profile: dict[str, object], wanted: str, reason: str
) -> None:
    with pytest.raises(ordering.OrderRefused, match=reason):
        ordering.place_order(
            senior(**profile), MENU, OrderIn(day=MONDAY, choice_id=wanted), "f", BEFORE, SETTINGS
        )


def test_after_the_cutoff_on_a_paused_day_or_a_day_without_delivery_orders_are_refused() -> None:
    late = dt.datetime(2026, 12, 4, 8, 0, tzinfo=PARIS)
    with pytest.raises(ordering.OrderRefused, match="orders for 2026-12-07 closed on 2026-12-04"):
        ordering.place_order(senior(), MENU, OrderIn(day=MONDAY, choice_id="blanquette"),
                             "f", late, SETTINGS)  # fmt: skip
    paused = senior(pauses=(Pause(start=MONDAY, end=WEDNESDAY, reason="hôpital"),))
    with pytest.raises(ordering.OrderRefused, match="paused from 2026-12-07 to 2026-12-09"):
        ordering.place_order(paused, MENU, OrderIn(day=MONDAY, choice_id="blanquette"),
                             "f", BEFORE, SETTINGS)  # fmt: skip
    with pytest.raises(ordering.OrderRefused, match="not delivered on mardis"):
        ordering.place_order(senior(), MENU, OrderIn(day=MONDAY + dt.timedelta(days=1),
                             choice_id="blanquette"), "f", BEFORE, SETTINGS)  # fmt: skip


def test_a_pause_resumes_by_itself_after_its_end_and_can_be_extended() -> None:
    paused = profiles.with_pause(senior(), Pause(start=MONDAY, end=MONDAY))
    assert profiles.why_no_delivery(paused, MONDAY) is not None
    assert profiles.why_no_delivery(paused, WEDNESDAY) is None
    extended = profiles.with_pause(paused, Pause(start=MONDAY, end=WEDNESDAY))
    assert len(extended.pauses) == 1
    assert profiles.why_no_delivery(extended, WEDNESDAY) is not None
    with pytest.raises(ValueError, match="overlaps"):
        profiles.with_pause(extended, Pause(start=WEDNESDAY, end=WEDNESDAY + dt.timedelta(3)))


def test_a_family_reaches_only_its_linked_seniors() -> None:
    linked = profiles.linked(senior(), FamilyLink(username="fam-a", phone="+33611111111"))
    fam_a = Caller(username="fam-a", role="family")
    fam_b = Caller(username="fam-b", role="family")
    driver = Caller(username="driver-1", role="driver")
    assert profiles.reaches(fam_a, linked)
    assert not profiles.reaches(fam_b, linked)
    assert not profiles.reaches(driver, linked)
    assert profiles.reaches(Caller(username="d", role="dispatcher"), linked)
    assert not profiles.reaches(fam_a, profiles.unlinked(linked, "fam-a"))


def test_only_families_who_opted_in_are_notified() -> None:
    two = profiles.linked(
        profiles.linked(senior(), FamilyLink(username="a", phone="+33611111111", notify=True)),
        FamilyLink(username="b", phone="+33622222222"),
    )
    assert [n.username for n in profiles.notices(two)] == ["a"]


def test_the_days_orders_become_deliveries_and_the_kitchen_counts_them_per_round() -> None:
    seniors = {
        "s-1": senior(),
        "s-2": senior(id="s-2", first_name="Marcel", texture="hachee"),
        "s-3": senior(id="s-3", first_name="Louise", pauses=(Pause(start=MONDAY, end=MONDAY),)),
    }
    orders = [
        ordering.place_order(
            seniors[s], MENU, OrderIn(day=MONDAY, choice_id="blanquette"), "f", BEFORE, SETTINGS
        )
        for s in ("s-1", "s-2")
    ]
    # s-3 ordered before the pause was set: left out with the reason.
    orders.append(orders[0].model_copy(update={"senior_id": "s-3"}))
    deliveries, left_out = deliveries_of_day(MONDAY, orders, seniors, SETTINGS)
    assert [d.id for d in deliveries] == [delivery_id("s-1", MONDAY), delivery_id("s-2", MONDAY)]
    assert deliveries[1].recipient_name == "Marcel Lefebvre"
    assert left_out[0]["id"] == "s-3" and "paused" in left_out[0]["reason"]
    plan = {"kind": "meals", "vehicles": [
        {"vehicle_id": "van-1", "stops": [{"id": delivery_id("s-1", MONDAY)}]}]}  # fmt: skip
    sheet = kitchen_sheet(MONDAY, orders[:2], [plan])
    assert sheet.total == 2
    assert [(g.round, g.total) for g in sheet.groups] == [("van-1", 1), (NOT_ON_A_ROUND, 1)]
    assert {(line.texture, line.count) for line in sheet.totals} == {("normale", 1), ("hachee", 1)}


def test_the_register_csv_is_read_with_a_report_per_row() -> None:
    text = (
        "id,first_name,last_name,address,commune,lat,lon,weekdays,diets,texture,allergies,"
        "door_notes,contact1_name,contact1_phone,contact2_name,contact2_phone,contact2_relation\n"
        "s-1,Jeanne,Lefebvre,3 rue des Écoles,59350,51.2983,4.7331,lun mer,sans_sel,hachee,"
        "arachide,chien,Paul,+33612345678,Mme Voisine,+33687654321,neighbour\n"
        "s-2,Marcel,Dubois,1 place,59009,51.28,4.80,lun,végétarien,,,,Anne,+33611111111,,,\n"
        "s-1,Jeanne,Again,3 rue,59350,51.2983,4.7331,lun,,,,,Paul,+33612345678,,,\n"
    )
    report, valid = import_report(text)
    assert [r["status"] for r in report] == ["imported", "refused", "refused"]
    assert "diets" in report[1]["detail"] and report[1]["row"] == 3
    assert "repeated" in report[2]["detail"]
    profile = valid[0][1]
    assert [c.relation for c in profile.emergency_contacts] == ["family", "neighbour"]
    assert profile.allergies == ("arachide",) and profile.texture == "hachee"
