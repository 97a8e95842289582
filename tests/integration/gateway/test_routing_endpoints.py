"""Travel matrices and routes through the gateway, on the real Kempen road graph."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from fastapi.testclient import TestClient

from contracts.users import Role
from services.routing.matrix import DEFAULT_MAX_SNAP_M
from services.routing.matrix_cache import KEY_PREFIX, points_hash
from tests.conftest import KEMPEN_POINTS
from tests.integration.gateway.conftest import login

pytestmark = pytest.mark.integration


def test_dispatcher_gets_a_matrix_then_the_same_one_from_the_cache(
    make_client: Callable[..., TestClient],
    services_amqp_uri: str,
    redis_url: str,
    role_users: dict[Role, str],
) -> None:
    client = make_client(services_amqp_uri)
    headers = login(client, role_users[Role.DISPATCHER])
    points = [[lat, lon] for lat, lon in KEMPEN_POINTS]
    # The cache outlives a run (a week): forget what an earlier run cached for these points.
    cache = redis.Redis.from_url(redis_url)
    digest = points_hash(points, DEFAULT_MAX_SNAP_M)
    for key in cache.scan_iter(f"{KEY_PREFIX}*:{digest}", count=1000):
        cache.delete(key)
    cache.close()

    first = client.post("/routing/matrix", json={"points": points}, headers=headers)
    second = client.post("/routing/matrix", json={"points": points}, headers=headers)

    assert first.status_code == 200, first.text
    body = first.json()
    n = len(KEMPEN_POINTS)
    assert len(body["durations_s"]) == n and all(len(row) == n for row in body["durations_s"])
    assert all(body["durations_s"][i][i] == 0 for i in range(n))
    # Villages a few kilometres apart: minutes, not seconds or hours, by road.
    assert all(60 < body["durations_s"][i][j] < 3600 for i in range(n) for j in range(n) if i != j)
    assert all(d < 500 for d in body["snap_distance_m"])
    assert second.json()["cached"] is True and first.json()["cached"] is False
    assert second.json()["durations_s"] == body["durations_s"]


def test_a_point_far_from_any_road_is_named_with_its_distance(
    make_client: Callable[..., TestClient], services_amqp_uri: str, role_users: dict[Role, str]
) -> None:
    client = make_client(services_amqp_uri)
    far = [50.0, 3.0]  # northern France, far outside the Kempen extract
    response = client.post(
        "/routing/matrix",
        json={"points": [KEMPEN_POINTS[0], far]},
        headers=login(client, role_users[Role.DISPATCHER]),
    )
    assert response.status_code == 422
    assert "1" in response.json()["detail"] and "m" in response.json()["detail"]


@pytest.mark.parametrize(
    ("points", "complaint"),
    [
        ([[float("nan"), 4.7]], "finite"),
        ([[91.0, 4.7]], "less than or equal to 90"),
        ([], "at least 1"),
    ],
)
def test_bad_coordinates_are_422_not_500(
    make_client: Callable[..., TestClient],
    services_amqp_uri: str,
    role_users: dict[Role, str],
    points: list[list[float]],
    complaint: str,
) -> None:
    client = make_client(services_amqp_uri)
    response = client.post(
        "/routing/matrix",
        content=f'{{"points": {str(points).replace("nan", "NaN")}}}',
        headers={**login(client, role_users[Role.DISPATCHER]), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert complaint in response.text


def test_route_is_a_geojson_line_along_the_roads(
    make_client: Callable[..., TestClient], services_amqp_uri: str, role_users: dict[Role, str]
) -> None:
    client = make_client(services_amqp_uri)
    headers = login(client, role_users[Role.DISPATCHER])
    stops = KEMPEN_POINTS[:3]

    response = client.post("/routing/route", json={"points": stops}, headers=headers)
    matrix = client.post("/routing/matrix", json={"points": stops}, headers=headers).json()

    assert response.status_code == 200, response.text
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "LineString"
    assert len(feature["geometry"]["coordinates"]) > 10  # follows the roads, not a straight line
    expected = matrix["durations_s"][0][1] + matrix["durations_s"][1][2]
    assert feature["properties"]["duration_s"] == pytest.approx(expected, abs=0.01)
