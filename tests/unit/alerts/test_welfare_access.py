"""Who reaches a welfare case: dispatchers and admins act; the senior's mayor reads; nobody else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.identity import Caller
from contracts.users import Role
from contracts.welfare import WelfareCase
from services.alerts.welfare.access import can_act, can_read

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 23, 10, 40, tzinfo=UTC)
CASE = WelfareCase(
    case_id="welfare:d-1:2026-11-23", delivery_id="d-1", senior_name="Mme Leroy",
    commune="59350", day="2026-11-23", attempted_at=AT, opened_at=AT, help_deadline=AT,
)  # fmt: skip


@pytest.mark.parametrize(
    ("role", "communes", "reads", "acts"),
    [
        (Role.DISPATCHER, (), True, True),
        (Role.ADMIN, (), True, True),
        (Role.MAYOR, ("59350",), True, False),
        (Role.MAYOR, ("59009",), False, False),
        (Role.MAYOR, (), False, False),
        (Role.FAMILY, (), False, False),
        (Role.DRIVER, (), False, False),
    ],
)
def test_each_role(role: Role, communes: tuple[str, ...], reads: bool, acts: bool) -> None:
    caller = Caller(username="u", role=role, communes=communes)
    assert (can_read(caller, CASE), can_act(caller)) == (reads, acts)
