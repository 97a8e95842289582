"""Gateway settings, from the environment; a bad value is reported by name."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.common.events import describe_validation_error
from services.common.settings import (
    DEFAULT_AMQP_URI,
    DEFAULT_REDIS_URL,
    SettingsError,
    load_settings,
)

SERVICES = ("routing", "carpool", "alerts")

# Environment variable for each gateway-only setting.
ENV_NAMES = {
    "token_ttl_s": "BOCAGE_TOKEN_TTL_S",
    "token_idle_s": "BOCAGE_TOKEN_IDLE_S",
    "login_lock_after": "BOCAGE_LOGIN_LOCK_AFTER",
    "address_lock_after": "BOCAGE_ADDRESS_LOCK_AFTER",
    "login_lock_s": "BOCAGE_LOGIN_LOCK_S",
    "hashing_concurrency": "BOCAGE_HASHING_CONCURRENCY",
    "hashing_wait_s": "BOCAGE_HASHING_WAIT_S",
    "max_body_bytes": "BOCAGE_MAX_BODY_BYTES",
    "inbound_sms_per_minute": "BOCAGE_INBOUND_SMS_PER_MINUTE",
    "rpc_timeout_s": "BOCAGE_RPC_TIMEOUT_S",
    "ping_timeout_s": "BOCAGE_PING_TIMEOUT_S",
    "live_events": "BOCAGE_LIVE_EVENTS",
    "rpc_workers": "BOCAGE_RPC_WORKERS",
    "solve_workers": "BOCAGE_SOLVE_WORKERS",
}


class GatewaySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amqp_uri: str = DEFAULT_AMQP_URI
    redis_url: str = DEFAULT_REDIS_URL
    tenant: str = Field(default="demo", pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    # A session's whole life, and how long it survives unused (renewed on use, never past life).
    token_ttl_s: int = Field(default=8 * 3600, ge=1, le=30 * 24 * 3600)
    token_idle_s: int = Field(default=3600, ge=1, le=30 * 24 * 3600)
    # Failed logins before a lock, per username and per client address; and the lock's length.
    login_lock_after: int = Field(default=10, ge=4, le=1000)
    address_lock_after: int = Field(default=100, ge=21, le=100_000)
    login_lock_s: int = Field(default=900, ge=1, le=24 * 3600)
    # Password hashes (19 MiB each) running at once in this process; a login waits this long
    # for a slot before a 503.
    hashing_concurrency: int = Field(default=4, ge=1, le=64)
    hashing_wait_s: float = Field(default=5.0, ge=0, le=60)
    # Any request body (JSON included); uploads keep their own, larger, cap.
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=100_000_000)
    inbound_sms_per_minute: int = Field(default=20, ge=1, le=10_000)
    rpc_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # Kept under 1 s so that /health answers within 2 s with every check in parallel.
    ping_timeout_s: float = Field(default=1.0, gt=0, le=1.5)
    services: tuple[str, ...] = SERVICES
    # Live pages hear the services' events (else they poll, as before; the benchmark's peer).
    live_events: bool = True
    # RPC threads (each with its own broker connection) for ordinary calls, and apart from them
    # for round solves, which wait minutes: a solve never takes a thread a mayor's send needs.
    rpc_workers: int = Field(default=8, ge=1, le=64)
    solve_workers: int = Field(default=4, ge=1, le=64)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewaySettings:
        environ = os.environ if environ is None else environ
        # The URLs and the tenant are validated exactly as the services validate them.
        shared = {name: environ[name] for name in ("AMQP_URI", "REDIS_URL") if name in environ}
        if environ.get("BOCAGE_TENANT"):
            shared["TENANT"] = environ["BOCAGE_TENANT"]
        common = load_settings(environ=shared)
        raw: dict[str, object] = {
            "amqp_uri": common.amqp_uri,
            "redis_url": common.redis_url,
            "tenant": common.tenant,
        }
        for field, env_name in ENV_NAMES.items():
            if environ.get(env_name):
                raw[field] = environ[env_name]
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            problems = describe_validation_error(error, names=ENV_NAMES)
            raise SettingsError(f"invalid gateway configuration: {problems}") from None
