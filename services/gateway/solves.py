"""Round solves, on a pool of their own: a solve of up to a couple of minutes (the time limit the
dispatcher chose, plus the matrix and the queue) neither holds a web-server thread nor an RPC
thread that other routes need. The routes that solve are `async`: they await the solve pool's
worker, so a mayor's send during a solve is answered at once. At most `solve_workers` solves
wait on routing at a time; more queue in the gateway, each within its own deadline.
"""

from __future__ import annotations

import math
from typing import Any

from contracts.rounds import RoundPlan
from services.gateway.roles import CurrentUser
from services.gateway.rpc import ServiceUnavailable, expect
from services.gateway.state import Gateway

AFTER_A_LOST_REPLAN = (
    "the new version may still be made: send the same replan with the same client_key to get "
    "it (without one, look at the round before replanning it again)"
)
AFTER_A_LOST_SOLVE = (
    "the plan may still be made: send the same request with the same client_key to get it "
    "(without one, sending it again plans again)"
)

# A solve runs for its own time limit; this covers the matrix, the geometry and the queue.
SOLVE_SLACK_S = 30.0


def solve_timeout_s(gateway: Gateway, time_limit_s: float) -> float:
    # Whole tens of seconds, so that the pool sees few distinct timeouts (a proxy each).
    return max(gateway.solves.timeout_s, 10.0 * math.ceil((time_limit_s + SOLVE_SLACK_S) / 10))


async def solve(
    gateway: Gateway,
    user: CurrentUser,
    method: str,
    time_limit_s: float,
    *args: Any,
    if_lost: str = AFTER_A_LOST_SOLVE,
) -> RoundPlan:
    """`routing.<method>(tenant, caller, *args)` on the solve pool; the plan it answers.
    `if_lost`: what a 503 tells the caller to do (the solve may still finish and be kept)."""
    caller = user.caller.model_dump(mode="json")
    try:
        answer = await gateway.solves.call_async(
            "routing",
            method,
            gateway.settings.tenant,
            caller,
            *args,
            timeout_s=solve_timeout_s(gateway, time_limit_s),
        )
    except ServiceUnavailable as error:
        raise ServiceUnavailable(error.service, f"{error.reason}; {if_lost}") from None
    return expect("routing", RoundPlan, answer)
