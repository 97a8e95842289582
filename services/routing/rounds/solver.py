"""`solve`: the one entry point of the search, on both cores.

When PyVRP's model fits the problem exactly (`pyvrp_engine.fits`: capacity, time windows, fleet,
optional stops), two PyVRP searches run for the whole budget, one in the calling process and one
in a partner process, trading their best solution at the end of each epoch (`pairing.py`); the
partner turns to OR-Tools if neither has a feasible solution after the first epoch. Measured
(README.md): on 200-customer instances this beats PyVRP alone, where the former race (PyVRP
plus an OR-Tools safety net on the second core) ended where PyVRP alone ends. Otherwise (chain
limit, reloads, preferences, stability penalty) OR-Tools runs alone, in the calling process.
Every answer goes through our own checker; the feasible one with the lower objective wins, ties
going to the partner's.

The caller must itself be a worker process (the routing service submits `solve` to its spawn
ProcessPoolExecutor): both engines hold the GIL for the whole search. Everything `solve` takes
and returns is plain and picklable.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

from . import pairing, pyvrp_engine
from .checker import check
from .ortools_engine import TUNED, SearchConfig, solve_ortools
from .problem import Problem, Solution

Progress = Callable[[int, float, str], None]  # (best objective so far, elapsed s, engine)

# Kept from the budget for collecting the child's answer and checking the plans.
_MARGIN = 0.15


def _checked(
    problem: Problem, routes: tuple[tuple[int, ...], ...], engine: str, t: float
) -> Solution:
    verdict = check(problem, routes)
    return Solution(
        routes,
        verdict.objective,
        verdict.feasible,
        engine,
        t,
        verdict.violations,
        unserved=verdict.unserved,
    )


def solve(
    problem: Problem,
    time_limit: float,
    seed: int = 0,
    progress: Progress | None = None,
    config: SearchConfig = TUNED,
    race: bool = True,
    initial_routes: tuple[tuple[int, ...], ...] | None = None,
) -> Solution:
    """The best feasible plan found within `time_limit` seconds, or a Solution saying why none.

    `progress(best_objective, elapsed_seconds, engine)` is called in this process whenever the
    best plan so far improves (the child's improvements are relayed as they arrive).
    """
    began = time.monotonic()
    budget = max(0.1, time_limit - _MARGIN)
    best_seen = [float("inf")]

    def relay(cost: float, engine: str) -> None:
        if progress is not None and cost < best_seen[0]:
            best_seen[0] = cost
            progress(int(cost), time.monotonic() - began, engine)

    if not (race and pyvrp_engine.fits(problem) and pyvrp_engine.available()):
        alone = solve_ortools(problem, budget, config, lambda c, _t, e: relay(c, e), initial_routes)
        return _final(problem, [alone], began, relay)

    return _pair(problem, budget, seed, config, initial_routes, began, relay)


def _pair(
    problem: Problem,
    budget: float,
    seed: int,
    config: SearchConfig,
    initial_routes: tuple[tuple[int, ...], ...] | None,
    began: float,
    relay: Callable[[float, str], None],
) -> Solution:
    """Two PyVRP searches exchanging their best, one here and one in a partner process."""
    deadline = time.time() + budget
    ends = pairing.epoch_ends(time.time(), deadline)
    ctx = _partner_context()
    to_partner: Any = ctx.Queue()
    from_partner: Any = ctx.Queue()
    partner: Any = ctx.Process(
        target=pairing.partner,
        args=(problem, ends, seed + 1, config, initial_routes, to_partner, from_partner),
        daemon=True,
    )
    try:
        partner.start()
    except (AssertionError, OSError):
        partner = None  # a daemonic caller (multiprocessing.Pool) may not have children
    link = pairing.Link(to_partner, from_partner, lambda cost: relay(cost, "pyvrp"))

    linked = link if partner is not None else None
    if linked is not None:
        linked.send("running")  # the partner then waits for our best at each epoch's end

    def on_pyvrp(cost: int, _elapsed: float) -> None:
        relay(cost, "pyvrp")
        if linked is not None:
            linked.poll()  # relays the partner's progress as it comes

    candidates: list[Solution] = []
    search = pyvrp_engine.Search(problem)
    try:
        found = pairing.searches(search, ends, seed, on_pyvrp, linked)
        if found is not None:
            routes = search.routes(found[1])
            candidates.append(_checked(problem, routes, "pyvrp", time.monotonic() - began))
        else:
            reason = "PyVRP found no feasible plan"
            candidates.append(Solution((), 0, False, "pyvrp", 0.0, reason=reason))
    except Exception as error:  # this search failing must not lose the partner's plan
        candidates.append(Solution((), 0, False, "pyvrp", 0.0, reason=f"PyVRP failed: {error!r}"))
    if partner is not None:
        link.poll()
        # It stops at the same deadline (allow some slack); one that never started is no help.
        final = link.wait_final(deadline + 2.0) if link.partner_running else None
        if partner.is_alive():
            partner.terminate()
        partner.join(timeout=2.0)
        link.close()
        if final is not None and final.routes is not None:
            routes = tuple(tuple(r) for r in final.routes)
            candidates.insert(0, _checked(problem, routes, final.engine, time.monotonic() - began))
        elif final is not None:
            candidates.insert(0, Solution((), 0, False, final.engine, 0.0, reason=final.note))
    else:
        alone = solve_ortools(problem, 0.5, config, None, initial_routes)  # no second core
        candidates.insert(0, alone)
    return _final(problem, candidates, began, relay)


def _partner_context() -> Any:
    """Fork when this process is single-threaded (a pool worker is): the partner then starts at
    once with PyVRP already imported, where a spawned one first spends about a CPU-second on
    imports, a tenth of a 10 s budget. Forking a threaded process is unsafe: spawn there."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _final(
    problem: Problem,
    candidates: list[Solution],
    began: float,
    relay: Callable[[float, str], None],
) -> Solution:
    feasible = [c for c in candidates if c.feasible]
    elapsed = time.monotonic() - began
    if not feasible:
        reasons = [c.reason or "; ".join(c.violations[:3]) for c in candidates]
        return Solution((), 0, False, "none", elapsed, reason=" / ".join(r for r in reasons if r))
    winner = min(feasible, key=lambda c: c.objective)  # min keeps the first (OR-Tools) on ties
    relay(winner.objective, winner.engine)
    return Solution(
        winner.routes, winner.objective, True, winner.engine, elapsed, unserved=winner.unserved
    )
