"""Who a caller reaches: the rule every owning service applies before touching an object."""

import pytest

from contracts.identity import Caller
from contracts.users import Role

pytestmark = pytest.mark.unit


def test_a_mayor_reaches_only_their_communes_and_never_an_object_without_one() -> None:
    mayor = Caller(username="maire.bailleul", role=Role.MAYOR, communes=("59043",))
    assert mayor.reaches_communes(["59043"])
    assert not mayor.reaches_communes(["59043", "59295"])
    assert not mayor.reaches_communes([])  # an area campaign with no commune is not theirs


def test_dispatchers_and_admins_reach_the_whole_tenant() -> None:
    for role in (Role.DISPATCHER, Role.ADMIN):
        assert Caller(username="x1", role=role).reaches_communes([])


@pytest.mark.parametrize("role", [Role.DRIVER, Role.FAMILY, Role.RESIDENT, Role.PARTNER])
def test_other_roles_reach_no_commune_even_if_named(role: Role) -> None:
    assert not Caller(username="x1", role=role, communes=("59043",)).reaches_commune("59043")
