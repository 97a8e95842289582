"""Users and the tenant, in Redis under `gateway:<tenant>:`; never KEYS (an index set instead).

Keys:
  gateway:<tenant>:user:<username>  JSON of StoredUser (with the password hash, its random
                                    user_id and its session generation)
  gateway:<tenant>:users            set of usernames, the index used for listing
  gateway:<tenant>:tenant           JSON of the Tenant (name and communes)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

import redis
from pydantic import BaseModel, ConfigDict

from contracts.gateway import TenantUpdate
from contracts.users import Role, Tenant, UserCreate, UserPublic

PREFIX = "gateway"


class UserError(ValueError):
    """A request about users or the tenant that cannot be honoured; the text says why."""


class DuplicateUser(UserError):
    pass


class UnknownUser(UserError):
    pass


class CommuneRuleBroken(UserError):
    pass


class StoredUser(BaseModel):
    """What the gateway keeps about a user. Never sent out: it holds the password hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    role: Role
    full_name: str = ""
    communes: tuple[str, ...] = ()
    password_hash: str
    created_at: datetime
    # Made at creation: a token names this id, so a name deleted and created again (a new id)
    # never inherits the old sessions. Empty only for users stored before ids existed; login
    # gives them one.
    user_id: str = ""
    # Raised on every password change or reset and on disable: tokens carry the generation
    # they were issued under, and an older one no longer works.
    session_generation: int = 0
    disabled: bool = False

    def public(self) -> UserPublic:
        return UserPublic(
            username=self.username,
            role=self.role,
            full_name=self.full_name,
            communes=self.communes,
            disabled=self.disabled,
        )


def new_user_id() -> str:
    return "usr-" + secrets.token_urlsafe(16)


def check_communes(role: Role, communes: tuple[str, ...], tenant: Tenant) -> None:
    """Only a mayor is bound to communes, at least one, each a commune of the tenant.

    Other roles carry none for now: loosening this later (say, residents by commune) is additive,
    tightening it would not be.
    """
    if role is not Role.MAYOR:
        if communes:
            raise CommuneRuleBroken(f"only a mayor is bound to communes, not a {role.value}")
        return
    if not communes:
        raise CommuneRuleBroken("a mayor must be bound to at least one commune")
    known = {commune.code for commune in tenant.communes}
    unknown = [code for code in communes if code not in known]
    if unknown:
        raise CommuneRuleBroken(
            f"commune(s) {', '.join(unknown)} are not communes of tenant {tenant.slug!r}"
            " (set them with PUT /tenant or `bocage tenant set`)"
        )


class UserStore:
    def __init__(self, client: redis.Redis, tenant: str) -> None:
        self.client = client
        self.tenant = tenant

    def _key(self, *parts: str) -> str:
        return ":".join((PREFIX, self.tenant, *parts))

    # -- tenant -------------------------------------------------------------------------------

    def get_tenant(self) -> Tenant:
        raw = self.client.get(self._key("tenant"))
        if raw is None:
            # A tenant nobody has described yet: its slug as name, no communes.
            return Tenant(slug=self.tenant, name=self.tenant)
        return Tenant.model_validate_json(raw)

    def set_tenant(self, update: TenantUpdate) -> Tenant:
        tenant = Tenant(slug=self.tenant, name=update.name, communes=update.communes)
        codes = [commune.code for commune in update.communes]
        if len(set(codes)) != len(codes):
            raise CommuneRuleBroken("each commune code may appear only once")
        # Refuse to strand a mayor on a commune that would no longer exist.
        stranded = sorted(
            f"{user.username} ({code})"
            for user in self.list_users()
            for code in user.communes
            if code not in codes
        )
        if stranded:
            raise CommuneRuleBroken(
                "these mayors are bound to communes the update removes: " + ", ".join(stranded)
            )
        self.client.set(self._key("tenant"), tenant.model_dump_json())
        return tenant

    # -- users --------------------------------------------------------------------------------

    def add_user(self, new: UserCreate, password_hash: str) -> StoredUser:
        check_communes(new.role, new.communes, self.get_tenant())
        user = StoredUser(
            username=new.username,
            role=new.role,
            full_name=new.full_name,
            communes=new.communes,
            password_hash=password_hash,
            created_at=datetime.now(UTC),
            user_id=new_user_id(),
        )
        with self.client.pipeline(transaction=True) as pipe:
            # SET NX decides atomically whether the name is free; SADD is harmless either way.
            pipe.set(self._key("user", new.username), user.model_dump_json(), nx=True)
            pipe.sadd(self._key("users"), new.username)
            created, _ = pipe.execute()
        if not created:
            raise DuplicateUser(f"a user named {new.username!r} already exists")
        return user

    def get_user(self, username: str) -> StoredUser | None:
        raw = self.client.get(self._key("user", username))
        return None if raw is None else StoredUser.model_validate_json(raw)

    def update_user(self, username: str, change: Callable[[StoredUser], StoredUser]) -> StoredUser:
        """Apply `change` to the stored user atomically (WATCH/MULTI, retried on a race).

        A re-hash at login must never write back a session generation that a concurrent
        password change has just raised, or revoked tokens would come back to life.
        """
        key = self._key("user", username)
        updated: StoredUser | None = None

        def apply(pipe: redis.client.Pipeline) -> None:
            nonlocal updated
            raw = pipe.get(key)
            if raw is None:
                raise UnknownUser(f"no user named {username!r}")
            updated = change(StoredUser.model_validate_json(raw))
            pipe.multi()
            pipe.set(key, updated.model_dump_json(), xx=True)

        self.client.transaction(apply, key)
        assert updated is not None
        return updated

    def replace_password_hash(self, username: str, password_hash: str) -> None:
        """Same password, stronger or resized hash: sessions stay valid."""
        self.update_user(username, lambda u: u.model_copy(update={"password_hash": password_hash}))

    def ensure_user_id(self, username: str) -> StoredUser:
        """Give a user stored before ids existed one (kept if another login gave it first)."""
        return self.update_user(
            username, lambda u: u if u.user_id else u.model_copy(update={"user_id": new_user_id()})
        )

    def set_password(self, username: str, password_hash: str) -> StoredUser:
        """A new password: every session of the user ends."""
        return self.update_user(
            username,
            lambda u: u.model_copy(
                update={
                    "password_hash": password_hash,
                    "session_generation": u.session_generation + 1,
                }
            ),
        )

    def set_disabled(self, username: str, disabled: bool) -> StoredUser:
        """Disabling ends every session; enabling does not bring the old ones back."""
        return self.update_user(
            username,
            lambda u: u.model_copy(
                update={
                    "disabled": disabled,
                    "session_generation": u.session_generation + (1 if disabled else 0),
                }
            ),
        )

    def list_users(self) -> list[StoredUser]:
        names = sorted(self.client.sscan_iter(self._key("users")))
        if not names:
            return []
        raws = self.client.mget([self._key("user", name) for name in names])
        return [StoredUser.model_validate_json(raw) for raw in raws if raw is not None]

    def delete_user(self, username: str) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self._key("user", username))
            pipe.srem(self._key("users"), username)
            deleted, _ = pipe.execute()
        if not deleted:
            raise UnknownUser(f"no user named {username!r}")
