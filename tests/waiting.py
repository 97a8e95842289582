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


def eventually[R](check: Callable[[], R | None], what: str, timeout_s: float = 60) -> R:
    """check()'s first truthy answer, polled every 0.3 s; fails naming `what` and the last
    answer seen."""
    deadline = time.monotonic() + timeout_s
    last: R | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what}: not so after {timeout_s:g} s (last seen: {last!r})")
