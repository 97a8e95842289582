"""An area campaign finds exactly the people inside its area, through the GEO index's first cut:
the same people as testing every contact of the tenant, near the edges too."""

from __future__ import annotations

import random
from datetime import date

import pytest

from contracts.alerts import CampaignRequest, CampaignTarget, Contact, ContactPhone, GeoPoint
from services.alerts.campaign_ops import people_in_area
from services.alerts.store import AlertsStore
from services.alerts.targeting import contacts_in_area, validate_area

pytestmark = pytest.mark.integration


def _placed(index: int, lon: float, lat: float) -> Contact:
    return Contact(
        contact_id=f"c-{index:06d}",
        full_name=f"Habitant {index}",
        phones=(ContactPhone(e164=f"+336{index:08d}", kind="mobile"),),
        commune="59350",
        location=GeoPoint(lat=lat, lon=lon),
        consent_date=date(2025, 1, 1),
        consent_source="test",
    )


def test_the_geo_index_finds_the_same_people_as_a_full_scan(
    store: AlertsStore, tenant: str
) -> None:
    rng = random.Random(9)
    # A concave polygon around Lille (50.6 N), and people scattered around and across its edges.
    ring = [[2.95, 50.55], [3.20, 50.55], [3.20, 50.70], [3.08, 50.62], [2.95, 50.70],
            [2.95, 50.55]]  # fmt: skip
    people = [_placed(i, rng.uniform(2.90, 3.25), rng.uniform(50.50, 50.75)) for i in range(1500)]
    people += [_placed(2000, 3.1999, 50.551), _placed(2001, 2.9501, 50.699)]  # at the corners
    store.save_contacts(tenant, people)
    area = {"type": "Polygon", "coordinates": [ring]}
    request = CampaignRequest(
        title="t", message="m", severity="warning", target=CampaignTarget(polygon=area)
    )

    found = {c.contact_id for c in people_in_area(store, tenant, request)}

    expected = {c.contact_id for c in contacts_in_area(people, validate_area(area))}
    assert found == expected
    assert {"c-002000", "c-002001"} <= found
    assert 200 < len(found) < 1500
