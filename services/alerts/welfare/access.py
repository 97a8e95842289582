"""Pure: who reaches a welfare case. Dispatchers and admins act on every case of the tenant; the
mayor of the senior's commune reads it; for anyone else it does not exist."""

from __future__ import annotations

from contracts.identity import Caller
from contracts.welfare import WelfareCase


def can_read(caller: Caller, case: WelfareCase) -> bool:
    return caller.reaches_commune(case.commune)


def can_act(caller: Caller) -> bool:
    return caller.tenant_wide
