"""The carpool retention rule: what is past its last day by more than the retention, and what a
trip keeps once nobody may be named in it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from contracts.carpool import Offer, OfferIn, Recurrence, RequestIn, RideRequest, Trip
from services.carpool.retention import (
    DEFAULT_KEEP_DAYS,
    expired,
    figures_of,
    months_of_late_trips,
    names,
    offer_last_day,
    oldest_kept,
    request_day,
)
from services.carpool.settings import load_carpool_settings
from services.carpool.trips import monthly_csv

pytestmark = pytest.mark.unit

TODAY = dt.date(2026, 11, 30)


def offer(first: dt.date, recurrence: Recurrence | None = None) -> Offer:
    given = OfferIn(
        origin=(50.73, 2.70), destination=(50.74, 2.73), date=first, depart_earliest="08:00",
        depart_latest="08:30", seats=2, recurrence=recurrence,
    )  # fmt: skip
    return Offer(
        offer_id="o-1", driver="jan", offer=given, direct_s=600, direct_m=4200, max_detour_s=200,
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip


def trip(**extra: Any) -> Trip:
    fields: dict[str, Any] = {
        "offer_id": "o-1", "date": dt.date(2026, 5, 4), "driver": "jan", "passengers": ("marie",),
        "passenger_seats": 1, "origin": (50.7312, 2.7021), "destination": (50.7401, 2.7333),
        "origin_label": "12 rue des Lilas", "destination_label": "Bailleul",
        "origin_commune": "59270", "destination_commune": "59043", "distance_m": 4200,
        "shared_m": 3100,
    }  # fmt: skip
    return Trip(**{**fields, **extra})


def test_the_default_keeps_six_months_and_the_setting_changes_it() -> None:
    assert DEFAULT_KEEP_DAYS == 180
    assert load_carpool_settings({}).retention_days == 180
    assert load_carpool_settings({"CARPOOL_RETENTION_DAYS": "30"}).retention_days == 30
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        load_carpool_settings({"CARPOOL_RETENTION_DAYS": "0"})


def test_a_ride_goes_the_day_after_its_last_day_is_past_the_retention() -> None:
    assert oldest_kept(TODAY, 180) == dt.date(2026, 6, 3)
    assert not expired(dt.date(2026, 6, 3), TODAY, 180)  # exactly 180 days ago: still kept
    assert expired(dt.date(2026, 6, 2), TODAY, 180)
    assert not expired(TODAY, TODAY, 1)


def test_a_recurring_offer_is_kept_until_its_last_day_is_old_enough() -> None:
    weekly = Recurrence(weekdays=(0,), until=dt.date(2026, 6, 30))  # Mondays
    recurring = offer(dt.date(2026, 4, 6), weekly)
    assert offer_last_day(recurring) == dt.date(2026, 6, 29)  # the last Monday, not `until`
    assert not expired(offer_last_day(recurring), TODAY, 180)  # its first days are old enough
    assert expired(offer_last_day(offer(dt.date(2026, 4, 6))), TODAY, 180)


def test_a_request_lives_as_long_as_its_day() -> None:
    given = RequestIn(
        origin=(50.73, 2.70), destination=(50.74, 2.73), date=dt.date(2026, 3, 2),
        depart_after="07:45",
    )  # fmt: skip
    request = RideRequest(
        request_id="r-1", passenger="marie", request=given,
        created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    assert expired(request_day(request), TODAY, 180)


def test_an_anonymous_trip_keeps_its_figures_and_no_name_nor_address() -> None:
    done = trip()
    assert names(done, "jan") and names(done, "marie") and not names(done, "paul")
    figures = figures_of(done)
    kept = figures.model_dump_json()
    for personal in ("jan", "marie", "Lilas", "50.7312", "o-1"):
        assert personal not in kept
    assert (figures.distance_m, figures.shared_m, figures.passenger_seats) == (4200, 3100, 1)

    report = monthly_csv([trip(offer_id="o-2", passengers=("paul",))], figures=[figures])
    rows = list(csv.DictReader(io.StringIO(report)))
    assert [r["driver"] for r in rows] == ["jan", ""]
    anonymous = rows[1]
    assert anonymous["from"] == anonymous["passengers"] == anonymous["offer_id"] == ""
    assert anonymous["from_commune"] == "59270" and anonymous["co2_saved_kg"] == "0.68"
    assert len(list(csv.DictReader(io.StringIO(monthly_csv([], "59043", [figures]))))) == 1
    assert not list(csv.DictReader(io.StringIO(monthly_csv([], "62040", [figures]))))


def test_the_trips_of_an_offer_still_running_are_looked_for_back_to_its_first_day() -> None:
    # Kept from 3 June; a recurring offer lasts at most 92 days, so from 3 March on.
    assert months_of_late_trips(TODAY, 180) == ["2026-03", "2026-04", "2026-05", "2026-06"]
