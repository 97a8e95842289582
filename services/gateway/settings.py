"""Gateway settings, from the environment; a bad value is reported by name."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    "rpc_timeout_s": "BOCAGE_RPC_TIMEOUT_S",
    "ping_timeout_s": "BOCAGE_PING_TIMEOUT_S",
}


class GatewaySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amqp_uri: str = DEFAULT_AMQP_URI
    redis_url: str = DEFAULT_REDIS_URL
    tenant: str = Field(default="demo", pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    token_ttl_s: int = Field(default=8 * 3600, ge=1, le=30 * 24 * 3600)
    rpc_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # Kept under 1 s so that /health answers within 2 s with every check in parallel.
    ping_timeout_s: float = Field(default=1.0, gt=0, le=1.5)
    services: tuple[str, ...] = SERVICES

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
            problems = "; ".join(
                f"{ENV_NAMES.get(str(issue['loc'][0]), issue['loc'][0])}: {issue['msg']}"
                for issue in error.errors()
            )
            raise SettingsError(f"invalid gateway configuration: {problems}") from None
