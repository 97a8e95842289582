"""Twilio's OpenAPI description (../shared/data/twilio/), and a check of recorded requests
against it: a known path and method, form and query parameters spelled as the spec spells them,
the required ones present. Shared by the sandbox's tests and the alerts service's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


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


def load_spec(shared_data: Path) -> Spec:
    path = shared_data / "twilio" / "twilio_api_v2010.json"
    if not path.is_file():
        raise FileNotFoundError(f"Twilio's OpenAPI description is missing: {path}")
    return Spec(json.loads(path.read_text(encoding="utf-8")))


def problems_with(recorded: list[dict[str, Any]], spec: Spec) -> list[str]:
    """What, in the recorded requests, the spec does not allow (empty: all allowed)."""
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
    return problems


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
