"""Which road-graph artefact the routing service loads (pure path logic, no I/O beyond listing)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GRAPH_DIR = REPO_ROOT / "var" / "graphs"


class NoRoadGraph(LookupError):
    """No artefact to load; the message says how to build one."""


def find_artefact(configured: str | None) -> Path:
    """`configured` is an artefact file or a folder of them (newest wins); None: var/graphs."""
    place = Path(configured) if configured else DEFAULT_GRAPH_DIR
    if place.is_file():
        return place
    candidates = (
        sorted(place.glob("*.npz"), key=lambda p: p.stat().st_mtime) if place.is_dir() else []
    )
    if not candidates:
        raise NoRoadGraph(
            f"no road graph in {place}: build one with `bocage graph build --osm FILE.osm` "
            "(or `make graph`), or set ROUTING_GRAPH to an artefact"
        )
    return candidates[-1]
