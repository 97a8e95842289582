"""Generated CAP alerts (any language, colour, scope, status, polygon, circle, geocode kind) go
through the whole intake on the real Redis: each gets exactly one outcome, drafts only ever go
to the tenant's communes the alert concerns, and a repeated document drafts nothing new."""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.alerts import feed_intake, feed_records
from services.alerts.store import AlertsStore
from services.common.settings import Settings
from tests.conftest import REDIS_URL, SHARED_DATA
from tests.feed_documents.made import Area, Info, cap, edxl

pytestmark = pytest.mark.integration
COMMUNES = {"59043": "Bailleul", "59401": "Méteren", "59580": "Steenvoorde", "62041": "Arras"}
SCHEMA = str(SHARED_DATA / "cap" / "CAP-v1.2.xsd")


@cache
def boundaries() -> str:
    features = []
    for name in ("communes-59-nord.geojson", "communes-62-pas-de-calais.geojson"):
        document = json.loads((SHARED_DATA / "communes" / name).read_text())
        features += [f for f in document["features"] if f["properties"]["code"] in COMMUNES]
    return json.dumps({"type": "FeatureCollection", "features": features})


def _point(lat: float, lon: float) -> str:
    return f"{lat:.5f},{lon:.5f}"


@st.composite
def polygons(draw: st.DrawFn) -> str:
    lat = draw(st.floats(50.2, 50.9))
    lon = draw(st.floats(2.3, 3.0))
    height, width = draw(st.floats(0.001, 0.3)), draw(st.floats(0.001, 0.3))
    corners = [(lat, lon), (lat, lon + width), (lat + height, lon + width), (lat + height, lon)]
    return " ".join(_point(a, b) for a, b in [*corners, corners[0]])


@st.composite
def circles(draw: st.DrawFn) -> str:
    lat, lon = draw(st.floats(50.2, 50.9)), draw(st.floats(2.3, 3.0))
    return f"{_point(lat, lon)} {draw(st.floats(0, 40)):.3f}"


GEOCODES = st.tuples(
    st.sampled_from(["INSEE", "NUTS3", "departement", "SAME", "FIPS6", "EMMA_ID", "postcode"]),
    st.sampled_from(["59043", "59580", "62041", "FRE11", "FRE12", "BE251", "59", "62", "FR059"]),
)
AREAS = st.builds(
    Area,
    description=st.sampled_from(["", "Flandre", "Zone"]),
    polygons=st.lists(polygons(), max_size=2),
    circles=st.lists(circles(), max_size=2),
    geocodes=st.lists(GEOCODES, max_size=3),
)
INFOS = st.builds(
    Info,
    language=st.sampled_from(["fr-FR", "en-GB", "de-DE", "nl-BE"]),
    event=st.sampled_from(["Vent violent", "Flood", "Gewitter", "Bosbrand", "Canicule"]),
    severity=st.sampled_from(["Minor", "Moderate", "Severe", "Extreme", "Unknown"]),
    headline=st.sampled_from([None, "Headline in any language"]),
    parameters=st.lists(
        st.tuples(
            st.sampled_from(["awareness_level", "awareness_type", "couleur", "colour"]),
            st.sampled_from(["3; orange; Severe", "1; Wind", "rouge", "yellow", "12; Flooding"]),
        ),
        max_size=2,
    ),
    areas=st.lists(AREAS, min_size=1, max_size=2),
)
ALERTS = st.builds(
    lambda infos, status, scope, n: cap(*infos, status=status, scope=scope, identifier=f"gen-{n}"),
    st.lists(INFOS, min_size=1, max_size=2),
    st.sampled_from(["Actual", "Actual", "Actual", "Exercise", "Test"]),
    st.sampled_from(["Public", "Public", "Restricted", "Private"]),
    st.integers(0, 10_000),
)


@pytest.fixture(scope="module")
def store() -> Any:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: start redis-server")
    yield AlertsStore(client, Settings())
    client.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts=st.lists(ALERTS, min_size=1, max_size=4, unique_by=lambda a: a.split("gen-")[1][:6]))
def test_every_generated_alert_gets_one_outcome_and_drafts_stay_in_the_territory(
    store: Any, alerts: list[str]
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    feed_records.save_boundaries(store.client, tenant, boundaries())
    document = (edxl(*alerts) if len(alerts) > 1 else alerts[0]).encode()
    try:
        first = feed_intake.ingest(store, tenant, "cap", document, COMMUNES, "agent", SCHEMA)
        again = feed_intake.ingest(store, tenant, "cap", document, COMMUNES, "agent", SCHEMA)
    finally:
        # Each example is a tenant of its own: forget it (SCAN on its prefix, never KEYS).
        keys = list(store.client.scan_iter(f"alerts:{tenant}:*", count=500))
        if keys:
            store.client.delete(*keys)

    assert len(first.record.outcomes) == len(alerts)
    for outcome in first.record.outcomes:
        assert set(outcome.communes) <= set(COMMUNES)
        assert (outcome.outcome == "not_concerned") == (outcome.why is not None)
    drafted = {c for o in first.record.outcomes if o.outcome == "drafted" for c in o.communes}
    assert {d.request.target.communes[0] for d in first.drafts} == drafted
    for draft in first.drafts:
        assert "Headline in any language" not in draft.request.message
    assert again.drafts == []
    assert {o.outcome for o in again.record.outcomes} <= {"no_change", "not_concerned"}
