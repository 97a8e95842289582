"""Service identity for `ping`: name, version and how long the container has been running."""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from nameko.extensions import DependencyProvider


def bocage_version() -> str:
    try:
        return version("bocage")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0+unknown"


class Uptime(DependencyProvider):  # type: ignore[misc]
    def setup(self) -> None:
        self.started = time.monotonic()

    def get_dependency(self, worker_ctx: Any) -> float:
        return time.monotonic() - self.started
