"""Waiting in tests for what a real process does in its own time: the one polling helper."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 45, every_s: float = 0.2) -> Any:
    """probe()'s first truthy answer; fails saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every_s)
