"""Readers of vigilance feeds (CAP, Météo-France, Vigicrues) and the change detector over them.

Pure: they take bytes, text or decoded JSON and return `contracts.feeds` models; fetching is the
service's business.
"""

from services.alerts.feeds.cap import load_cap_schema, parse_cap
from services.alerts.feeds.errors import FeedError
from services.alerts.feeds.levels import (
    SnapshotOutcome,
    apply_snapshot,
    levels_from_cap,
    levels_from_meteofrance,
    levels_from_vigicrues,
)
from services.alerts.feeds.meteofrance import parse_legacy_vigilance, parse_vigilance_map
from services.alerts.feeds.vigicrues import parse_infovigicru

__all__ = [
    "FeedError",
    "SnapshotOutcome",
    "apply_snapshot",
    "levels_from_cap",
    "levels_from_meteofrance",
    "levels_from_vigicrues",
    "load_cap_schema",
    "parse_cap",
    "parse_infovigicru",
    "parse_legacy_vigilance",
    "parse_vigilance_map",
]
