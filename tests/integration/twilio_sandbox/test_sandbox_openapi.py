"""Every request the SDK sends to the sandbox is one Twilio's OpenAPI description allows: a known
path and method, form parameters spelled as the spec spells them, the required ones present. And
the sandbox answers with the fields the spec lists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from twilio.rest import Client

from .conftest import OUR_NUMBER, Receiver, Sandbox

pytestmark = pytest.mark.integration

MOBILE = "+33612345678"


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.paths = [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$"), t)
            for t in document["paths"]
        ]

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def template(self, path: str) -> str | None:
        matches = [t for pattern, t in self.paths if pattern.match(path)]
        return matches[0] if len(matches) == 1 else None

    def operation(self, template: str, method: str) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = self.document["paths"][template].get(method.lower())
        return operation

    def form_schema(self, operation: dict[str, Any]) -> dict[str, Any]:
        body = operation.get("requestBody", {}).get("content", {})
        form = body.get("application/x-www-form-urlencoded", {}).get("schema", {})
        return self.resolve(form)


@pytest.fixture(scope="module")
def spec(shared_data: Path) -> Spec:
    path = shared_data / "twilio" / "twilio_api_v2010.json"
    if not path.is_file():
        pytest.fail(f"Twilio's OpenAPI description is missing: {path}")
    return Spec(json.loads(path.read_text(encoding="utf-8")))


def exercise_the_sdk(client: Client, receiver: Receiver) -> None:
    """The SDK calls our code makes, with the options it uses."""
    message = client.messages.create(
        to=MOBILE,
        from_="MAIRIE",
        body="Vigilance rouge : restez chez vous.",
        status_callback=receiver.url("/status"),
    )
    client.messages.create(
        to=MOBILE,
        messaging_service_sid="MG" + "1" * 32,
        body="Fin de l'alerte",
        validity_period=600,
    )
    client.messages(message.sid).fetch()
    list(client.messages.list(to=MOBILE, page_size=1, limit=2))
    call = client.calls.create(
        to="+33145678901",
        from_=OUR_NUMBER,
        twiml='<Response><Say language="fr-FR">Alerte</Say></Response>',
        status_callback=receiver.url("/call-status"),
        status_callback_event=["initiated", "ringing", "answered", "completed"],
        timeout=30,
    )
    client.calls.create(to="+33145678901", from_=OUR_NUMBER, url=receiver.url("/voice"))
    client.calls(call.sid).fetch()


def test_every_sdk_request_is_allowed_by_the_openapi_description(
    sandbox: Sandbox, client: Client, receiver: Receiver, spec: Spec
) -> None:
    exercise_the_sdk(client, receiver)
    recorded = sandbox.get("/sandbox/requests").json()
    assert len(recorded) >= 8  # two pages of the list included

    problems: list[str] = []
    for request in recorded:
        label = f"{request['method']} {request['path']}"
        template = spec.template(request["path"])
        if template is None:
            problems.append(f"{label}: no path of the spec matches")
            continue
        operation = spec.operation(template, request["method"])
        if operation is None:
            problems.append(f"{label}: {template} has no {request['method']}")
            continue
        for name, value in _path_values(template, request["path"]).items():
            pattern = _path_parameter(spec, operation, name).get("pattern")
            if pattern and not re.match(pattern, value):
                problems.append(f"{label}: path parameter {name}={value} breaks {pattern}")
        schema = spec.form_schema(operation)
        properties = schema.get("properties", {})
        for name in request["form"]:
            if name not in properties:
                problems.append(f"{label}: form parameter {name} is not in the spec")
        for name in schema.get("required", []):
            if name not in request["form"]:
                problems.append(f"{label}: required form parameter {name} is missing")
        query_names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for name in request["query"]:
            if name not in query_names:
                problems.append(f"{label}: query parameter {name} is not in the spec")
    assert problems == []


def _path_values(template: str, path: str) -> dict[str, str]:
    pattern = re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    match = re.match(f"^{pattern}$", path)
    return match.groupdict() if match else {}


def _path_parameter(spec: Spec, operation: dict[str, Any], name: str) -> dict[str, Any]:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] == name:
            schema: dict[str, Any] = spec.resolve(parameter.get("schema", {}))
            return schema
    return {}


def test_responses_carry_the_fields_the_spec_lists(
    sandbox: Sandbox, client: Client, spec: Spec
) -> None:
    message = client.messages.create(to=MOBILE, from_="MAIRIE", body="Test")
    call = client.calls.create(to=MOBILE, from_=OUR_NUMBER, twiml="<Response/>")
    schemas = spec.document["components"]["schemas"]
    account = sandbox.config.account_sid
    for path, schema in (
        (
            f"/2010-04-01/Accounts/{account}/Messages/{message.sid}.json",
            "api.v2010.account.message",
        ),
        (f"/2010-04-01/Accounts/{account}/Calls/{call.sid}.json", "api.v2010.account.call"),
    ):
        response = client.request("GET", sandbox.url + path)
        body = json.loads(response.text)
        assert set(body) == set(schemas[schema]["properties"]), path
        sid_pattern = schemas[schema]["properties"]["sid"]["pattern"]
        assert re.match(sid_pattern, body["sid"])
