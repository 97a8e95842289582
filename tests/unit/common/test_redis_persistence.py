"""What the services say at start about their Redis's persistence."""

from __future__ import annotations

import pytest

from services.common.redis_persistence import classify, warning_for

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("info", "save", "kind"),
    [
        ({"aof_enabled": 1}, "", "aof"),
        ({"aof_enabled": 1}, None, "aof"),
        ({"aof_enabled": 0}, "3600 1 300 100", "rdb"),
        ({"aof_enabled": 0}, "", "none"),
        ({"aof_enabled": 0}, None, "unknown"),  # CONFIG refused: cannot tell
        ({}, "", "unknown"),
    ],
)
def test_persistence_is_read_from_info_and_config(
    info: dict[str, int], save: str | None, kind: str
) -> None:
    assert classify(info, save) == kind


def test_no_persistence_is_a_warning_that_says_what_is_lost_and_the_fix() -> None:
    text = warning_for("none", "redis://:secret@redis.example:6379/0")
    assert text is not None
    assert "no persistence" in text and "record of what was sent" in text
    assert "--appendonly yes" in text
    assert "secret" not in text and "redis.example:6379/0" in text


def test_snapshots_only_and_unknown_are_warnings_too_and_aof_is_quiet() -> None:
    assert "RDB snapshots only" in str(warning_for("rdb", "redis://127.0.0.1:6379/0"))
    assert "could not tell" in str(warning_for("unknown", "redis://127.0.0.1:6379/0"))
    assert warning_for("aof", "redis://127.0.0.1:6379/0") is None
