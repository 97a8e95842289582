"""Passwords (argon2id) and opaque bearer tokens kept in Redis with an expiry.

A token is 32 random bytes. Redis holds only its SHA-256, under
`gateway:<tenant>:token:<sha256>` -> username, with the token's lifetime as TTL: a copy of the
database does not hand out live sessions, and an expired token simply is no longer there.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from contracts.users import TokenResponse, UserCreate
from services.gateway.users import PREFIX, StoredUser, UserStore

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both failures cost the same time.
    return _hasher.hash("not a password anyone has")


class LoginFailed(Exception):
    """Wrong username or password; deliberately does not say which."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_key(tenant: str, token: str) -> str:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return f"{PREFIX}:{tenant}:token:{digest}"


def create_user(store: UserStore, new: UserCreate) -> StoredUser:
    return store.add_user(new, hash_password(new.password))


class Sessions:
    def __init__(self, client: redis.Redis, store: UserStore, ttl_s: int) -> None:
        self.client = client
        self.store = store
        self.ttl_s = ttl_s

    def login(self, username: str, password: str) -> TokenResponse:
        user = self.store.get_user(username)
        if user is None:
            verify_password(_dummy_hash(), password)
            raise LoginFailed
        if not verify_password(user.password_hash, password):
            raise LoginFailed
        if _hasher.check_needs_rehash(user.password_hash):
            # The hash parameters were raised since: upgrade while we hold the password.
            self.store.replace_password_hash(username, hash_password(password))
        token = secrets.token_urlsafe(32)
        self.client.set(token_key(self.store.tenant, token), username, ex=self.ttl_s)
        return TokenResponse(access_token=token, expires_in=self.ttl_s, user=user.public())

    def user_for(self, token: str) -> StoredUser | None:
        """The user a token belongs to, or None if it is unknown, expired or its user is gone."""
        username = self.client.get(token_key(self.store.tenant, token))
        return None if username is None else self.store.get_user(str(username))

    def logout(self, token: str) -> None:
        self.client.delete(token_key(self.store.tenant, token))
