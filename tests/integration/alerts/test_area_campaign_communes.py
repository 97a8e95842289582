"""A campaign drawn as an area belongs to the communes its area covers, by their boundaries: even
where nobody is known to live inside, a mayor of one of them may not draft it over the other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.alerts import CampaignRequest, CampaignTarget
from services.alerts import feed_records
from services.alerts.campaign_ops import create_campaign, preview_campaign
from services.alerts.store import AlertsStore
from services.alerts.territory import communes_from_geojson, to_geojson
from services.common.errors import Forbidden
from tests.callers import DISPATCHER_CALLER, MAYOR_BAILLEUL_CALLER

pytestmark = pytest.mark.integration

BAILLEUL, METEREN = "59043", "59401"
# A rectangle across the boundary between Bailleul and Méteren (lon, lat).
OVER_BOTH = [[2.69, 50.735], [2.745, 50.735], [2.745, 50.75], [2.69, 50.75], [2.69, 50.735]]


def _store_boundaries(store: AlertsStore, tenant: str, shared_data: Path) -> None:
    nord = json.loads((shared_data / "communes" / "communes-59-nord.geojson").read_text("utf-8"))
    ours = [c for c in communes_from_geojson(nord) if c.code in {BAILLEUL, METEREN}]
    assert len(ours) == 2, "the IGN file should hold Bailleul and Méteren"
    feed_records.save_boundaries(store.client, tenant, json.dumps(to_geojson(ours)))


def _request() -> CampaignRequest:
    area = {"type": "Polygon", "coordinates": [OVER_BOTH]}
    return CampaignRequest(
        title="Crue", message="Montée des eaux", severity="warning",
        target=CampaignTarget(polygon=area),
    )  # fmt: skip


def test_an_area_over_two_communes_belongs_to_both_even_with_nobody_inside(
    store: AlertsStore, tenant: str, shared_data: Path
) -> None:
    _store_boundaries(store, tenant, shared_data)

    campaign = create_campaign(store, tenant, _request(), "dispatcher", DISPATCHER_CALLER)

    assert campaign.communes == (BAILLEUL, METEREN)


def test_the_mayor_of_one_commune_may_not_draft_an_area_over_the_next(
    store: AlertsStore, tenant: str, shared_data: Path
) -> None:
    _store_boundaries(store, tenant, shared_data)

    with pytest.raises(Forbidden, match=METEREN):
        create_campaign(store, tenant, _request(), "maire-bailleul", MAYOR_BAILLEUL_CALLER)


def test_the_preview_refuses_what_drafting_would_refuse(
    store: AlertsStore, tenant: str, shared_data: Path
) -> None:
    _store_boundaries(store, tenant, shared_data)

    with pytest.raises(Forbidden, match=METEREN):
        preview_campaign(store, tenant, _request(), MAYOR_BAILLEUL_CALLER)
    seen = preview_campaign(store, tenant, _request(), DISPATCHER_CALLER)
    assert seen.area_communes == (BAILLEUL, METEREN) and seen.area_people == 0
