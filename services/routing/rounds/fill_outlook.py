"""Pure: what a dispatcher reads of the containers before planning a collection: each one's last
reading, its forecast fill at a chosen time, its fill rate and when it reaches the threshold,
with the same model (`waste.forecast_fill`) the waste rounds plan from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from contracts.rounds import ContainerForecast, ContainerForecasts, ContainerOut, FillReading

from .waste import DAY, Container, Reading, forecast_fill


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _verdict(level: float, threshold: float, optional_from: float) -> str:
    if level >= threshold:
        return "collect"
    return "optional" if level >= optional_from else "skip"


def container_forecast(
    container: ContainerOut,
    readings: Sequence[FillReading],
    at: dt.datetime,
    threshold: float,
    optional_from: float,
) -> ContainerForecast:
    """One container's outlook at `at` (threshold and optional_from as fractions)."""
    ordered = sorted(readings, key=lambda r: r.at)
    model = Container(
        id=container.id,
        node=0,
        volume_litres=container.volume_litres,
        readings=tuple(Reading(_epoch(r.at), r.level_pct / 100) for r in ordered),
    )
    later = forecast_fill(model, _epoch(at))
    full_at = None
    if ordered:
        last = ordered[-1]
        now = forecast_fill(model, _epoch(last.at))
        if now.level >= threshold:
            full_at = last.at
        elif later.rate_per_day > 0:
            days = (threshold - now.level) / later.rate_per_day
            full_at = last.at + dt.timedelta(seconds=round(days * DAY))
    return ContainerForecast(
        id=container.id,
        name=container.name,
        stream=container.stream,
        location=container.location,
        last_level_pct=ordered[-1].level_pct if ordered else None,
        last_reading_at=ordered[-1].at if ordered else None,
        forecast_pct=round(later.level * 100, 1),
        rate_pct_per_day=round(later.rate_per_day * 100, 1),
        full_at=full_at,
        verdict=_verdict(later.level, threshold, optional_from),  # type: ignore[arg-type]
        readings_used=later.readings_used,
    )


def fill_outlook(
    containers: Sequence[Mapping[str, Any]],
    readings: Mapping[str, Sequence[Mapping[str, Any]]],
    at: dt.datetime,
    threshold_pct: float = 80,
    optional_from_pct: float = 50,
) -> ContainerForecasts:
    """Every container in service (retired ones left out), fullest forecast first."""
    found = []
    for raw in containers:
        container = ContainerOut.model_validate(raw)
        if container.retired:
            continue
        own = [FillReading.model_validate(r) for r in readings.get(container.id, [])]
        found.append(
            container_forecast(container, own, at, threshold_pct / 100, optional_from_pct / 100)
        )
    found.sort(key=lambda f: (-f.forecast_pct, f.id))
    return ContainerForecasts(
        at=at,
        threshold_pct=threshold_pct,
        optional_from_pct=optional_from_pct,
        containers=found,
    )
