"""schemathesis hooks (`SCHEMATHESIS_HOOKS`): every generated request is sent as one role.

The fuzzer's process issues sessions straight into the gateway's Redis, with the gateway's own
code, instead of logging in over HTTP: the fuzzed `/auth/login` soon throttles this address, and
that must not stop the run. Operations that end the session they are sent with (logout, password
change) get a session of a fresh user of the same role, so the role's main session stays alive
for every other operation.

Environment: REDIS_URL, BOCAGE_TENANT, FUZZ_ROLE, FUZZ_USERNAME.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import redis
import schemathesis

from contracts.users import Role, UserCreate
from services.gateway.auth import Sessions
from services.gateway.users import UserStore


# schemathesis 4.32 rewrites a 3.1 tuple (`prefixItems`) into the draft-4 `items: [...]` for
# response validation, then checks it against the 2020-12 meta-schema and reports a "Schema
# Error" on any 2xx body holding a [lat, lon] (schemathesis issues 3842 and 4099, fixed for
# parameters only). The fuzzer's copy reads each tuple as an array of its positions' schemas:
# looser (a latitude of 120 is then "valid", and answered by a documented 422), never stricter.
def _tuples_as_arrays(node: Any) -> None:
    if isinstance(node, dict):
        positions = node.pop("prefixItems", None)
        if isinstance(positions, list) and "items" not in node:
            node["items"] = {"anyOf": positions}
        for value in node.values():
            _tuples_as_arrays(value)
    elif isinstance(node, list):
        for value in node:
            _tuples_as_arrays(value)


@schemathesis.hook
def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
    _tuples_as_arrays(raw_schema)


SESSION_ENDING = {("POST", "/auth/logout"), ("POST", "/auth/password")}
# Never a real hash: these users cannot log in, they only hold an issued session.
NO_PASSWORD = "$argon2id$v=19$m=19456,t=2,p=1$bm8tbG9naW4$bm8tbG9naW4tZm9yLXRoaXMtdXNlcg"


def _sessions() -> Sessions:
    client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    store = UserStore(client, os.environ["BOCAGE_TENANT"])
    return Sessions(client, store, ttl_s=3600)


@schemathesis.auth()
class RoleSession:
    def __init__(self) -> None:
        self.sessions = _sessions()
        self.role = Role(os.environ["FUZZ_ROLE"])
        self.token = ""

    def get(self, case: Any, context: Any) -> str:
        return self._main_token()

    def _main_token(self) -> str:
        # An admin's fuzzed `POST /users/{name}/password` may reset their own password, which
        # rightly ends their session: issue a new one then.
        if not self.token or self.sessions.user_for(self.token) is None:
            user = self.sessions.store.get_user(os.environ["FUZZ_USERNAME"])
            assert user is not None, "the fuzzed role's user is missing"
            self.token = self.sessions.issue(user).access_token
        return self.token

    def set(self, case: Any, data: str, context: Any) -> None:
        token = self._main_token()
        if (case.method.upper(), case.operation.path) in SESSION_ENDING:
            token = self._throwaway_token()
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    def _throwaway_token(self) -> str:
        main = self.sessions.store.get_user(os.environ["FUZZ_USERNAME"])
        assert main is not None
        new = UserCreate(
            username=f"fuzz-{secrets.token_hex(6)}",
            password="x" * 10,
            role=self.role,
            communes=main.communes,
        )
        user = self.sessions.store.add_user(new, NO_PASSWORD)
        return self.sessions.issue(user).access_token
