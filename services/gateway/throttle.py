"""Abuse limits kept in Redis, so that every gateway process applies the same ones.

Keys (under `gateway:<tenant>:`; subjects are SHA-256 digests, so odd input makes no odd key):
  login-failures:<kind>:<digest>  failed logins in the window (counter, TTL = the window)
  login-wait:<kind>:<digest>      present while the subject must wait ("backoff" or "lock"; TTL)
  inbound:<digest>:<minute>       inbound SMS from one number in one minute (counter, TTL)
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import redis

from services.gateway.throttle_policy import PER_ADDRESS, PER_USERNAME, ThrottlePolicy
from services.gateway.throttle_policy import refusal_message as _message
from services.gateway.users import PREFIX


class Throttled(Exception):
    """Refused for now; `retry_after_s` says when to come back."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


@dataclass(frozen=True)
class Subject:
    kind: str  # "username" or "address": also how the refusal names it
    value: str
    policy: ThrottlePolicy

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.value.encode("utf-8", "surrogatepass")).hexdigest()


class LoginThrottle:
    def __init__(
        self,
        client: redis.Redis,
        tenant: str,
        per_username: ThrottlePolicy = PER_USERNAME,
        per_address: ThrottlePolicy = PER_ADDRESS,
    ) -> None:
        self.client = client
        self.tenant = tenant
        self.per_username = per_username
        self.per_address = per_address

    def subjects(self, username: str, address: str) -> tuple[Subject, Subject]:
        # Names are matched case-insensitively so "Admin" and "admin" share one count.
        return (
            Subject("username", username.casefold(), self.per_username),
            Subject("address", address, self.per_address),
        )

    def _key(self, what: str, subject: Subject) -> str:
        return f"{PREFIX}:{self.tenant}:{what}:{subject.kind}:{subject.digest}"

    def check(self, username: str, address: str) -> None:
        """Raise Throttled if either subject must still wait; costs no hashing."""
        subjects = self.subjects(username, address)
        with self.client.pipeline(transaction=False) as pipe:
            for subject in subjects:
                pipe.get(self._key("login-wait", subject))
                pipe.pttl(self._key("login-wait", subject))
            answers = pipe.execute()
        for index, subject in enumerate(subjects):
            state, pttl = answers[2 * index], answers[2 * index + 1]
            if state is not None and pttl and pttl > 0:
                wait_s = -(-int(pttl) // 1000)
                raise Throttled(_message(subject.kind, wait_s, state == "lock"), wait_s)

    def failed(self, username: str, address: str) -> None:
        for subject in self.subjects(username, address):
            failures_key = self._key("login-failures", subject)
            with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(failures_key)
                pipe.expire(failures_key, subject.policy.window_s)
                failures, _ = pipe.execute()
            wait_s = subject.policy.wait_after(int(failures))
            if wait_s:
                state = "lock" if subject.policy.is_lock(int(failures)) else "backoff"
                self.client.set(self._key("login-wait", subject), state, ex=wait_s)

    def succeeded(self, username: str, address: str) -> None:
        # Only the account's count is forgiven: a guesser holding one valid account must not
        # reset the count of the address they guess from.
        subject = self.subjects(username, address)[0]
        self.client.delete(self._key("login-failures", subject), self._key("login-wait", subject))


class InboundLimit:
    """At most `per_minute` inbound SMS per sending number per minute, across processes."""

    def __init__(self, client: redis.Redis, tenant: str, per_minute: int) -> None:
        self.client = client
        self.tenant = tenant
        self.per_minute = per_minute

    def admit(self, number: str) -> None:
        now = time.time()
        minute = int(now // 60)
        digest = hashlib.sha256(number.encode("utf-8", "surrogatepass")).hexdigest()
        key = f"{PREFIX}:{self.tenant}:inbound:{digest}:{minute}"
        with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 120)
            count, _ = pipe.execute()
        if int(count) > self.per_minute:
            wait_s = int(60 - now % 60) + 1
            raise Throttled(
                f"more than {self.per_minute} messages a minute from this number; "
                f"try again in {wait_s} s",
                wait_s,
            )
