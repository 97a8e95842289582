"""The containers' outlook a dispatcher reads before a collection, pure: last reading, forecast
at the collection time, fill rate, when it reaches the threshold, and what to do with it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.routing.rounds.fill_outlook import fill_outlook

pytestmark = pytest.mark.unit

PARIS = ZoneInfo("Europe/Paris")
MONDAY = dt.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)


def _container(cid: str, retired: bool = False) -> dict[str, object]:
    return {"id": cid, "name": f"place {cid}", "location": [51.27, 4.72], "volume_litres": 660,
            "stream": "ordures_menageres", "retired": retired}  # fmt: skip


def _readings(cid: str, levels: list[float]) -> list[dict[str, object]]:
    return [
        {"reading_id": f"{cid}-{day}", "container_id": cid,
         "at": (MONDAY + dt.timedelta(days=day)).isoformat(), "level_pct": level}
        for day, level in enumerate(levels)
    ]  # fmt: skip


def test_each_container_says_how_full_it_will_be_and_when_it_is_full() -> None:
    containers = [_container(c) for c in ("filling", "full", "silent", "emptied")]
    containers.append(_container("retired", retired=True))
    readings = {
        "filling": _readings("filling", [20, 30, 40]),  # 10 points a day
        "full": _readings("full", [85]),
        "emptied": _readings("emptied", [70, 80, 5, 15]),  # emptied on Wednesday
        "retired": _readings("retired", [99]),
    }
    friday = MONDAY + dt.timedelta(days=4)
    outlook = fill_outlook(containers, readings, friday)
    by_id = {f.id: f for f in outlook.containers}

    # Fullest first; a retired container is not in service.
    assert [f.id for f in outlook.containers] == ["full", "filling", "emptied", "silent"]
    filling = by_id["filling"]
    assert filling.forecast_pct == pytest.approx(60, abs=0.1)
    assert filling.rate_pct_per_day == pytest.approx(10, abs=0.1)
    assert filling.verdict == "optional"
    # 40 % on Wednesday, 10 points a day: 80 % four days later.
    assert filling.full_at == MONDAY + dt.timedelta(days=6)
    assert filling.last_level_pct == 40 and filling.readings_used == 3

    full = by_id["full"]
    assert full.verdict == "collect" and full.full_at == MONDAY and full.rate_pct_per_day == 0

    # Only the readings since the emptying count.
    emptied = by_id["emptied"]
    assert emptied.readings_used == 2 and emptied.rate_pct_per_day == pytest.approx(10, abs=0.1)
    assert emptied.forecast_pct == pytest.approx(25, abs=0.1) and emptied.verdict == "skip"

    silent = by_id["silent"]
    assert silent.last_level_pct is None and silent.full_at is None
    assert silent.forecast_pct == 0 and silent.verdict == "skip"


def test_the_thresholds_are_the_dispatchers() -> None:
    outlook = fill_outlook(
        [_container("filling")], {"filling": _readings("filling", [20, 30, 40])},
        MONDAY + dt.timedelta(days=4), threshold_pct=60, optional_from_pct=30,
    )  # fmt: skip
    (filling,) = outlook.containers
    assert filling.verdict == "collect"
    assert filling.full_at == MONDAY + dt.timedelta(days=4)
    assert outlook.threshold_pct == 60
