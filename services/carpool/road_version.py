"""The road graph routing answers on, as this process last heard it.

Travel times kept from one graph must not serve another (a graph rebuilt from fresher OSM data,
routing restarted on it): every answer from routing names its graph (`graph_version`), the
landmark times this process keeps are keyed by it, and so are the ride legs kept in Redis. A
new graph is noticed at the first answer that names it; until then nothing from routing has
changed for this process either. Before any answer the version is unknown, and nothing kept is
used.
"""

from __future__ import annotations

from typing import Any

_heard: str | None = None


def heard(answer: dict[str, Any]) -> None:
    """Note the graph an answer from routing was computed on."""
    global _heard
    version = answer.get("graph_version")
    if isinstance(version, str) and version:
        _heard = version


def current() -> str | None:
    return _heard
