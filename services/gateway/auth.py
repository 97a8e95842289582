"""Sessions: opaque bearer tokens in Redis, bound to the user's identity, with two clocks.

A token is 32 random bytes. Redis holds only its SHA-256, under
`gateway:<tenant>:token:<sha256>` -> JSON {username, user_id, generation, expires_at}: a copy
of the database does not hand out live sessions.

A token works while all of this holds:
- the user still exists with the same random `user_id` (a name deleted and created again is a
  new user and inherits nothing);
- the user's `session_generation` is the one the token was issued under (a password change or
  reset, or disabling the user, raises it and so ends every session at once);
- the user is not disabled;
- the absolute lifetime (`token_ttl_s`) has not passed, and the token was used within the idle
  timeout (`token_idle_s`): the key's TTL is the idle timeout, renewed on use but never past the
  lifetime.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time

import redis

from contracts.users import StreamTicket, TokenResponse, UserCreate
from services.gateway.passwords import Passwords
from services.gateway.throttle import LoginThrottle
from services.gateway.users import PREFIX, StoredUser, UserStore

STREAM_TICKET_S = 60


class LoginFailed(Exception):
    """Wrong username or password; deliberately does not say which."""


class AccountDisabled(Exception):
    """The password was right but an administrator disabled the account."""


class WrongPassword(Exception):
    """The current password given to change it is not the user's."""


def token_key(tenant: str, token: str) -> str:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return f"{PREFIX}:{tenant}:token:{digest}"


def ticket_key(tenant: str, ticket: str) -> str:
    digest = hashlib.sha256(ticket.encode()).hexdigest()
    return f"{PREFIX}:{tenant}:stream-ticket:{digest}"


def create_user(
    store: UserStore, new: UserCreate, passwords: Passwords | None = None
) -> StoredUser:
    hasher = passwords or Passwords()
    return store.add_user(new, hasher.hash(new.password))


class Sessions:
    def __init__(
        self,
        client: redis.Redis,
        store: UserStore,
        ttl_s: int,
        idle_s: int | None = None,
        passwords: Passwords | None = None,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.ttl_s = ttl_s
        self.idle_s = min(idle_s or ttl_s, ttl_s)
        self.passwords = passwords or Passwords()
        self.throttle = throttle or LoginThrottle(client, store.tenant)

    # -- logging in and out -------------------------------------------------------------------

    def login(self, username: str, password: str, address: str) -> TokenResponse:
        self.throttle.check(username, address)
        user = self.store.get_user(username)
        if user is None:
            self.passwords.verify_unknown(password)
            self.throttle.failed(username, address)
            raise LoginFailed
        if not self.passwords.verify(user.password_hash, password):
            self.throttle.failed(username, address)
            raise LoginFailed
        self.throttle.succeeded(username, address)
        if user.disabled:
            raise AccountDisabled
        if self.passwords.needs_rehash(user.password_hash):
            # The hash parameters changed since: re-hash while we hold the password.
            self.store.replace_password_hash(username, self.passwords.hash(password))
        if not user.user_id:
            user = self.store.ensure_user_id(username)
        else:
            user = self.store.get_user(username) or user
        return self.issue(user)

    def issue(self, user: StoredUser) -> TokenResponse:
        """A new session for `user` (after their password was checked, or for a test harness)."""
        token = secrets.token_urlsafe(32)
        record = {
            "username": user.username,
            "user_id": user.user_id,
            "generation": user.session_generation,
            "expires_at": time.time() + self.ttl_s,
        }
        self.client.set(token_key(self.store.tenant, token), json.dumps(record), ex=self.idle_s)
        return TokenResponse(access_token=token, expires_in=self.ttl_s, user=user.public())

    def user_for(self, token: str) -> StoredUser | None:
        """The user a token belongs to, or None if it is unknown, expired, idle or revoked."""
        key = token_key(self.store.tenant, token)
        raw = self.client.get(key)
        if raw is None:
            return None
        try:
            record = json.loads(raw)
            username, user_id = str(record["username"]), str(record["user_id"])
            generation, expires_at = int(record["generation"]), float(record["expires_at"])
        except (ValueError, KeyError, TypeError):
            return None  # a token from before sessions were bound to identities
        remaining = expires_at - time.time()
        user = self.store.get_user(username)
        if (
            remaining <= 0
            or user is None
            or user.disabled
            or user.user_id != user_id
            or user.session_generation != generation
        ):
            self.client.delete(key)
            return None
        self.client.expire(key, max(1, int(min(self.idle_s, remaining))))
        return user

    def logout(self, token: str) -> None:
        self.client.delete(token_key(self.store.tenant, token))

    # -- passwords ----------------------------------------------------------------------------

    def change_password(
        self, user: StoredUser, current: str, new: str, address: str
    ) -> TokenResponse:
        """The user's own change: every session ends, and this one gets a fresh token.

        Wrong current passwords count as failed logins: a stolen token is no way to guess.
        """
        self.throttle.check(user.username, address)
        if not self.passwords.verify(user.password_hash, current):
            self.throttle.failed(user.username, address)
            raise WrongPassword
        updated = self.store.set_password(user.username, self.passwords.hash(new))
        return self.issue(updated)

    def reset_password(self, username: str, new: str) -> StoredUser:
        """An administrator's reset: every session of the user ends."""
        return self.store.set_password(username, self.passwords.hash(new))

    # -- event-stream tickets -----------------------------------------------------------------

    def stream_ticket(self, user: StoredUser, path: str) -> StreamTicket:
        """A ticket that opens `path` once within a minute, for clients that cannot send headers.

        It is not a session: it cannot call anything else, and it stops working with the
        session generation it was issued under.
        """
        ticket = secrets.token_urlsafe(32)
        record = {
            "username": user.username,
            "user_id": user.user_id,
            "generation": user.session_generation,
            "path": path,
        }
        self.client.set(
            ticket_key(self.store.tenant, ticket), json.dumps(record), ex=STREAM_TICKET_S
        )
        return StreamTicket(ticket=ticket, path=path, expires_in=STREAM_TICKET_S)

    def redeem_ticket(self, ticket: str, path: str) -> StoredUser | None:
        """The user a ticket was issued to, if it is for `path`; a ticket is used only once."""
        raw = self.client.getdel(ticket_key(self.store.tenant, ticket))
        if raw is None:
            return None
        record = json.loads(raw)
        user = self.store.get_user(str(record["username"]))
        if (
            user is None
            or user.disabled
            or record["path"] != path
            or user.user_id != record["user_id"]
            or user.session_generation != record["generation"]
        ):
            return None
        return user
