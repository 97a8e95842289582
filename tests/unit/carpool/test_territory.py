"""Origins and destinations outside the territory are refused with the reason, decided with the
real commune boundaries of Nord (IGN Admin Express)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.carpool.territory import UNKNOWN, TerritoryCache, check_inside, from_geojson
from services.common.events import InvalidMessage

pytestmark = pytest.mark.unit

BAILLEUL = (50.7386, 2.7350)
METEREN = (50.7431, 2.6935)
ZOERSEL = (51.2667, 4.7125)  # Belgium
HESDIN = (50.3736, 2.0381)  # Pas-de-Calais, not Nord


@pytest.fixture(scope="module")
def flandre(shared_data: Path) -> dict[str, Any]:
    """Bailleul, Méteren and their neighbour Saint-Jans-Cappel: a small intercommunality."""
    nord = json.loads((shared_data / "communes" / "communes-59-nord.geojson").read_text())
    kept = [f for f in nord["features"] if f["properties"]["code"] in {"59043", "59401", "59536"}]
    assert len(kept) == 3
    return {"type": "FeatureCollection", "features": kept}


def test_points_in_the_communes_pass_and_those_outside_are_named(flandre: dict[str, Any]) -> None:
    territory = from_geojson(flandre)
    assert territory.commune_at(BAILLEUL) == "59043"
    assert territory.commune_at(METEREN) == "59401"
    check_inside(territory, origin=METEREN, destination=BAILLEUL)
    with pytest.raises(InvalidMessage) as refused:
        check_inside(territory, origin=METEREN, destination=HESDIN)
    assert str(refused.value) == (
        "the destination (50.37360, 2.03810) is outside the territory: in none of its 3 communes"
    )
    with pytest.raises(InvalidMessage) as both:
        check_inside(territory, origin=ZOERSEL, destination=HESDIN)
    assert "the origin (51.26670, 4.71250) and the destination" in str(both.value)
    assert "are outside the territory" in str(both.value)


def test_without_boundaries_only_the_road_graph_decides_and_alerts_is_asked_again() -> None:
    asked: list[str] = []

    def ask(tenant: str) -> Any:
        asked.append(tenant)
        return UNKNOWN if len(asked) == 1 else None

    cache = TerritoryCache()
    assert cache.of("t", ask) is None  # alerts absent: not kept
    assert cache.of("t", ask) is None  # none stored: kept
    assert cache.of("t", ask) is None
    assert asked == ["t", "t"]
    check_inside(None, origin=ZOERSEL)  # nothing known: no check


def test_a_tenant_s_boundaries_are_kept_a_while(flandre: dict[str, Any]) -> None:
    asked: list[str] = []

    def ask(tenant: str) -> Any:
        asked.append(tenant)
        return flandre

    cache = TerritoryCache()
    first = cache.of("t", ask)
    assert first is not None and cache.of("t", ask) is first and asked == ["t"]
    assert TerritoryCache(keep_s=0).of("t", ask) is not first and asked == ["t", "t"]
