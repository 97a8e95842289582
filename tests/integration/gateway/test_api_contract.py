"""What the API promises in its OpenAPI description, and keeps, over HTTP on the real Redis.

Each of these was a schemathesis finding: the pages' routes took a query parameter that chose
the file, `GET /rounds?date=0` meant 1 January 1970, 422 said `detail` was a list while it is a
sentence, 405 named only some of a path's methods, and most error statuses were undocumented.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from contracts.users import Role

from .conftest import login

pytestmark = pytest.mark.integration


@pytest.fixture
def client(make_client: Callable[..., TestClient], empty_amqp_uri: str) -> TestClient:
    return make_client(empty_amqp_uri, rpc_timeout_s=1.0)


def test_a_page_route_serves_its_own_file_whatever_the_query(client: TestClient) -> None:
    script = client.get("/console/console.js?suffix=html")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "<html" not in script.text.lower()
    assert client.get("/driver/driver.css?suffix=exe&x=1").status_code == 200
    assert client.get("/pages/common.js?suffix=nope").status_code == 200


def test_a_day_is_a_calendar_date_not_a_timestamp(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    dispatcher = login(client, "dispatcher-1")
    for day in ("0", "1700000000", "2026-13-01", "01/12/2026"):
        refused = client.get(f"/rounds?date={day}", headers=dispatcher)
        assert refused.status_code == 422, day
        assert refused.json()["detail"].startswith("query.date:")
    driver = login(client, "driver-1")
    assert client.get("/me/round?date=0", headers=driver).status_code == 422


def test_a_422_is_one_sentence_as_documented(
    client: TestClient, role_users: dict[Role, str]
) -> None:
    bad = client.post(
        "/users", json={"username": "x", "role": "king"}, headers=login(client, "admin-1")
    )
    assert bad.status_code == 422
    detail = bad.json()["detail"]
    assert isinstance(detail, str)
    assert "body.username: String should match pattern" in detail
    assert "body.password: Field required" in detail
    schema = client.get("/openapi.json").json()
    documented = schema["paths"]["/users"]["post"]["responses"]["422"]["content"]
    assert documented["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorMessage"}
    assert (
        schema["components"]["schemas"]["ErrorMessage"]["properties"]["detail"]["type"] == "string"
    )


def test_a_405_names_every_method_of_the_path(client: TestClient) -> None:
    answer = client.request("OPTIONS", "/campaigns")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD, POST"
    assert client.request("OPTIONS", "/campaigns/preview").headers["allow"] == "POST"


def test_every_status_the_gateway_itself_answers_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    send = paths["/campaigns/{campaign_id}/send"]["post"]["responses"]
    assert {"401", "403", "404", "413", "422", "503"} <= set(send)
    login_answers = paths["/auth/login"]["post"]["responses"]
    assert {"401", "403", "413", "422", "429", "503"} <= set(login_answers)
    assert "429" in paths["/webhooks/twilio/inbound"]["post"]["responses"]
    page = paths["/console"]["get"]["responses"]
    assert "401" not in page and "422" not in page  # public, and takes no parameter
