"""Settings of a service, read from the nameko config (which itself reads the environment).

Pure: no clients are built here. A bad value is reported by name, with what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.common.events import describe_validation_error

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class SettingsError(ValueError):
    """A configuration value is missing or wrong; the message names it."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    amqp_uri: str = Field(default=DEFAULT_AMQP_URI, alias="AMQP_URI")
    redis_url: str = Field(default=DEFAULT_REDIS_URL, alias="REDIS_URL")
    tenant: str = Field(default="demo", alias="TENANT", pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    dead_letter_max_attempts: int = Field(default=3, alias="DEAD_LETTER_MAX_ATTEMPTS", ge=1, le=20)
    dead_letter_backoff_s: float = Field(default=0.5, alias="DEAD_LETTER_BACKOFF_S", ge=0, le=60)
    process_pool_workers: int = Field(default=1, alias="PROCESS_POOL_WORKERS", ge=1, le=32)
    # How long routing keeps containers' fill readings (also after a container is deleted).
    readings_retention_days: int = Field(
        default=400, alias="ROUTING_READINGS_RETENTION_DAYS", ge=1, le=3650
    )
    # How long routing keeps the vans' last known positions, then the daily job forgets them.
    positions_retention_days: int = Field(
        default=30, alias="ROUTING_POSITIONS_RETENTION_DAYS", ge=1, le=3650
    )

    @field_validator("amqp_uri")
    @classmethod
    def _amqp(cls, value: str) -> str:
        return _check_url(value, ("amqp", "amqps", "pyamqp"))

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        return _check_url(value, ("redis", "rediss", "unix"))


def _check_url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(
            f"must start with {' or '.join(s + '://' for s in schemes)}, got {value!r}"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise ValueError(f"has no host: {value!r}")
    return value


def load_model[SettingsT: BaseModel](
    model: type[SettingsT],
    config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    hint: str = "",
) -> SettingsT:
    """A settings model from the nameko config, falling back to the environment, then to
    the model's defaults; a bad value raises SettingsError naming it."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for field in model.model_fields.values():
        name = field.alias or ""
        if config is not None and config.get(name) not in (None, ""):
            raw[name] = config[name]
        elif environ.get(name):
            raw[name] = environ[name]
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = describe_validation_error(error)
        raise SettingsError(f"invalid configuration: {problems}{hint}") from None


def load_settings(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    return load_model(Settings, config, environ)


def deployment_of(amqp_uri: str) -> str:
    """The deployment a service belongs to: its RabbitMQ virtual host ('/' when none).

    Keys that span tenants (an outbox, a send index) are scoped by it, so two deployments that
    share one Redis (test runs, staging beside production) never act on each other's work.
    """
    return unquote(urlsplit(amqp_uri).path[1:]) or "/"
