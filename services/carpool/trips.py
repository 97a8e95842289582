"""Trips done: the monthly CSV for the mobility report, with a CO₂ saving estimate. Pure.

Trips past the retention or whose people were erased are kept as figures only (`TripFigures`):
their rows leave the names and the places blank and count the same.

The saving counts the passenger-kilometres that were not driven in another car, at the average
car's emission factor (ADEME Base Carbone, « voiture particulière moyenne », 0.218 kg CO₂e/km).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from contracts.carpool import Trip, TripFigures

KG_CO2_PER_CAR_KM = 0.218
COLUMNS = (
    "date",
    "offer_id",
    "driver",
    "passengers",
    "passenger_seats",
    "from",
    "from_commune",
    "to",
    "to_commune",
    "distance_km",
    "passenger_km",
    "co2_saved_kg",
)


def co2_saved_kg(trip: Trip | TripFigures) -> float:
    return round(trip.shared_m / 1000 * KG_CO2_PER_CAR_KM, 2)


def monthly_csv(
    trips: Iterable[Trip], commune: str | None = None, figures: Iterable[TripFigures] = ()
) -> str:
    """One row per trip, oldest first; with `commune`, the trips that start or end there.
    Anonymous trips (`figures`) follow, their names and places blank."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    kept = [
        t for t in trips
        if commune is None or commune in (t.origin_commune, t.destination_commune)
    ]  # fmt: skip
    for trip in sorted(kept, key=lambda t: (t.date, t.offer_id)):
        writer.writerow(
            (
                trip.date.isoformat(),
                trip.offer_id,
                trip.driver,
                " ".join(trip.passengers),
                trip.passenger_seats,
                trip.origin_label or f"{trip.origin[0]:.5f} {trip.origin[1]:.5f}",
                trip.origin_commune or "",
                trip.destination_label or f"{trip.destination[0]:.5f} {trip.destination[1]:.5f}",
                trip.destination_commune or "",
                round(trip.distance_m / 1000, 2),
                round(trip.shared_m / 1000, 2),
                co2_saved_kg(trip),
            )
        )
    kept_figures = [
        f for f in figures
        if commune is None or commune in (f.origin_commune, f.destination_commune)
    ]  # fmt: skip
    for figure in sorted(kept_figures, key=lambda f: f.date):
        writer.writerow(
            (
                figure.date.isoformat(), "", "", "", figure.passenger_seats, "",
                figure.origin_commune or "", "", figure.destination_commune or "",
                round(figure.distance_m / 1000, 2), round(figure.shared_m / 1000, 2),
                co2_saved_kg(figure),
            )
        )  # fmt: skip
    return out.getvalue()
