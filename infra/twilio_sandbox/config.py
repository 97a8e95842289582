"""The sandbox's settings, read from the environment (see README.md for the table)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# A well-formed but fake account: AC + 32 hex digits, as the SDK and the OpenAPI pattern expect.
DEFAULT_ACCOUNT_SID = "AC" + "5a" * 16
DEFAULT_AUTH_TOKEN = "sandbox-auth-token"
DEFAULT_NUMBER = "+33757000001"


@dataclass(frozen=True)
class NumberSet:
    """Phone numbers chosen for a behaviour: exact E.164 numbers, or `*SUFFIX` for every number
    ending with SUFFIX (so a test can pick numbers without configuring each one)."""

    exact: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> NumberSet:
        items = [item.strip() for item in (text or "").split(",") if item.strip()]
        return cls.of(items)

    @classmethod
    def of(cls, items: Iterable[str]) -> NumberSet:
        items = list(items)
        return cls(
            exact=frozenset(i for i in items if not i.startswith("*")),
            suffixes=tuple(i[1:] for i in items if i.startswith("*")),
        )

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, str):
            return False
        return number in self.exact or any(number.endswith(s) for s in self.suffixes)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "off", "false", "no"}


@dataclass(frozen=True)
class SandboxConfig:
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    number: str = DEFAULT_NUMBER  # our number: the one virtual phones text (inbound, STOP)
    rate_limit: float = 0.0  # segments per second accepted on Messages; 0 = no limit
    callbacks: bool = True  # off: statuses still advance, but no HTTP callback is sent
    callback_workers: int = 16  # concurrent callback deliveries
    callback_retries: int = 3  # extra attempts on connection errors
    callback_timeout: float = 5.0
    status_delay: float = 0.0  # seconds between two status changes (slow it down for demos)
    gather_wait: float = 30.0  # seconds a call waits at a <Gather> for a simulated keypress
    inbound_webhook: str | None = None  # where inbound SMS are forwarded, signed
    undelivered: NumberSet = field(default_factory=NumberSet)  # SMS end `undelivered` 30003
    landlines: NumberSet = field(default_factory=NumberSet)  # treated as fixed lines (21614)
    call_busy: NumberSet = field(default_factory=NumberSet)
    call_no_answer: NumberSet = field(default_factory=NumberSet)
    call_failed: NumberSet = field(default_factory=NumberSet)
    # SMS to these are accepted, but the answer comes `slow_answer_s` late: a client that gives
    # up first cannot tell whether the message left (a response lost on the network).
    slow_answer: NumberSet = field(default_factory=NumberSet)
    slow_answer_s: float = 5.0
    request_log_size: int = 10_000  # API requests kept for GET /sandbox/requests
    price_per_segment: str = "0.07900"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SandboxConfig:
        env = os.environ if env is None else env
        base = cls()

        def text(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        def real(name: str, default: float) -> float:
            value = text(name, str(default))
            try:
                return float(value)
            except ValueError:
                raise ValueError(f"{name}={value!r} is not a number") from None

        def whole(name: str, default: int) -> int:
            value = real(name, default)
            if value != int(value):
                raise ValueError(f"{name}={value!r} is not a whole number")
            return int(value)

        return cls(
            account_sid=text("TWILIO_ACCOUNT_SID", base.account_sid),
            auth_token=text("TWILIO_AUTH_TOKEN", base.auth_token),
            number=text("SANDBOX_NUMBER", base.number),
            rate_limit=real("SANDBOX_RATE_LIMIT", 0),
            callbacks=_flag(env.get("SANDBOX_CALLBACKS"), True),
            callback_workers=whole("SANDBOX_CALLBACK_WORKERS", base.callback_workers),
            callback_retries=whole("SANDBOX_CALLBACK_RETRIES", base.callback_retries),
            callback_timeout=real("SANDBOX_CALLBACK_TIMEOUT", base.callback_timeout),
            status_delay=real("SANDBOX_STATUS_DELAY", 0),
            gather_wait=real("SANDBOX_GATHER_WAIT", base.gather_wait),
            inbound_webhook=env.get("SANDBOX_INBOUND_WEBHOOK", "").strip() or None,
            undelivered=NumberSet.parse(env.get("SANDBOX_UNDELIVERED_NUMBERS")),
            landlines=NumberSet.parse(env.get("SANDBOX_LANDLINE_NUMBERS")),
            call_busy=NumberSet.parse(env.get("SANDBOX_CALL_BUSY_NUMBERS")),
            call_no_answer=NumberSet.parse(env.get("SANDBOX_CALL_NO_ANSWER_NUMBERS")),
            call_failed=NumberSet.parse(env.get("SANDBOX_CALL_FAILED_NUMBERS")),
            slow_answer=NumberSet.parse(env.get("SANDBOX_SLOW_ANSWER_NUMBERS")),
            slow_answer_s=real("SANDBOX_SLOW_ANSWER_S", base.slow_answer_s),
            request_log_size=whole("SANDBOX_REQUEST_LOG", base.request_log_size),
            price_per_segment=text("SANDBOX_PRICE_PER_SEGMENT", base.price_per_segment),
        )
