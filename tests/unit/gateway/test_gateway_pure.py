"""Gateway pieces that need no server: settings, role declarations, commune rules, hashing."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter

from contracts.users import Commune, Role, Tenant
from services.common.settings import SettingsError
from services.gateway.passwords import Passwords
from services.gateway.roles import (
    PUBLIC,
    CurrentUser,
    operation_roles,
    record_roles,
    require_roles,
)
from services.gateway.settings import GatewaySettings
from services.gateway.users import CommuneRuleBroken, check_communes

pytestmark = pytest.mark.unit

TENANT = Tenant(slug="cc-test", name="CC", communes=(Commune(code="59350", name="Lille"),))


def test_settings_default_to_the_demo_tenant_on_loopback() -> None:
    settings = GatewaySettings.from_env({})
    assert settings.tenant == "demo"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.services == ("routing", "carpool", "alerts")


def test_settings_read_the_environment() -> None:
    settings = GatewaySettings.from_env({"BOCAGE_TENANT": "cc-flandre", "BOCAGE_TOKEN_TTL_S": "60"})
    assert (settings.tenant, settings.token_ttl_s) == ("cc-flandre", 60)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"BOCAGE_TOKEN_TTL_S": "soon"}, "BOCAGE_TOKEN_TTL_S"),
        ({"BOCAGE_PING_TIMEOUT_S": "5"}, "BOCAGE_PING_TIMEOUT_S"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"BOCAGE_TENANT": "Not A Slug"}, "TENANT"),
    ],
)
def test_bad_settings_are_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        GatewaySettings.from_env(environ)


def test_roles_are_recorded_in_the_openapi_extra() -> None:
    router = APIRouter()

    @router.get("/open", openapi_extra=PUBLIC)
    def open_route() -> None: ...

    @router.get("/guarded")
    def guarded(user: Annotated[CurrentUser, require_roles(Role.MAYOR, Role.ADMIN)]) -> None: ...

    record_roles(router)
    extras = {route.path: route.openapi_extra for route in router.routes}  # type: ignore[attr-defined]
    assert extras["/guarded"] == {"x-roles": ["admin", "mayor"]}
    assert operation_roles(extras["/guarded"]) == frozenset({Role.ADMIN, Role.MAYOR})
    assert operation_roles(extras["/open"]) is None


def test_a_route_without_roles_is_refused() -> None:
    router = APIRouter()

    @router.get("/forgotten")
    def forgotten() -> None: ...

    with pytest.raises(RuntimeError, match="/forgotten must declare its roles"):
        record_roles(router)


def test_a_hidden_route_is_refused() -> None:
    router = APIRouter()

    @router.get("/hidden", include_in_schema=False)
    def hidden(user: Annotated[CurrentUser, require_roles(Role.ADMIN)]) -> None: ...

    with pytest.raises(RuntimeError, match="OpenAPI"):
        record_roles(router)


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_roles()


@pytest.mark.parametrize(
    ("role", "communes", "problem"),
    [
        (Role.MAYOR, (), "at least one commune"),
        (Role.MAYOR, ("59350", "59009"), "59009"),
        (Role.DISPATCHER, ("59350",), "only a mayor"),
        (Role.FAMILY, ("59350",), "only a mayor"),
    ],
)
def test_commune_rules(role: Role, communes: tuple[str, ...], problem: str) -> None:
    with pytest.raises(CommuneRuleBroken, match=problem):
        check_communes(role, communes, TENANT)


def test_commune_rules_accept_a_mayor_of_the_tenant_and_others_without_communes() -> None:
    check_communes(Role.MAYOR, ("59350",), TENANT)
    check_communes(Role.DRIVER, (), TENANT)


def test_a_password_hash_is_not_the_password_and_verifies_only_it() -> None:
    passwords = Passwords()
    hashed = passwords.hash("correct horse battery")
    assert "correct horse" not in hashed
    assert hashed.startswith("$argon2id$")
    assert passwords.hash("correct horse battery") != hashed  # salted
    assert passwords.verify(hashed, "correct horse battery")
    assert not passwords.verify(hashed, "correct horse batterY")
    assert not passwords.verify("not a hash", "correct horse battery")
