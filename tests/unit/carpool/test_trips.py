"""The monthly trips report: one row per trip, per commune on demand, with the CO₂ saving."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from contracts.carpool import Trip
from services.carpool.trips import co2_saved_kg, monthly_csv

pytestmark = pytest.mark.unit


def trip(offer_id: str, day: int, start: str | None, end: str | None, shared_km: float) -> Trip:
    return Trip(
        offer_id=offer_id, date=dt.date(2026, 12, day), driver="jan", passengers=("marie",),
        passenger_seats=1, origin=(50.73, 2.70), destination=(50.74, 2.73),
        origin_label="Méteren", destination_label="Bailleul", origin_commune=start,
        destination_commune=end, distance_m=4200, shared_m=shared_km * 1000,
    )  # fmt: skip


def test_ten_passenger_km_save_about_two_kilos_of_co2() -> None:
    assert co2_saved_kg(trip("o1", 1, None, None, 10)) == 2.18


def test_the_report_of_one_commune_keeps_the_trips_that_start_or_end_there() -> None:
    trips = [
        trip("o2", 3, "59270", "59043", 4),
        trip("o1", 1, "59043", "59588", 6),
        trip("o3", 2, "62765", "62040", 8),
    ]
    rows = list(csv.DictReader(io.StringIO(monthly_csv(trips))))
    assert [r["offer_id"] for r in rows] == ["o1", "o3", "o2"]  # by day
    bailleul = list(csv.DictReader(io.StringIO(monthly_csv(trips, "59043"))))
    assert [r["offer_id"] for r in bailleul] == ["o1", "o2"]
    assert bailleul[0]["passenger_km"] == "6.0" and bailleul[0]["co2_saved_kg"] == "1.31"
