"""A Twilio-compatible server for development, demos, tests and benchmarks (see README.md)."""

from .app import create_app
from .config import NumberSet, SandboxConfig

__all__ = ["NumberSet", "SandboxConfig", "create_app"]
