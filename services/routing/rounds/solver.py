"""`solve`: the one entry point of the search, racing two engines.

When PyVRP's model fits the problem exactly (`pyvrp_engine.fits`: capacity, time windows, fleet,
optional stops), PyVRP runs in the calling process for the whole budget and OR-Tools runs in a
spawned child for the first `SAFETY_NET_SHARE` of it: a plan to fall back on should PyVRP find no
feasible one. Measured (README.md): PyVRP is far stronger on such problems, and running OR-Tools
for the whole budget beside it cost PyVRP enough CPU on our shared 2-core machines to lose
(median gap 0.09 % against 0.03 % for PyVRP alone at 10 s). PyVRP stays in-process so that it
does not lose the second a spawned interpreter needs to start. Otherwise (chain limit, reloads,
preferences, stability penalty) OR-Tools runs alone, in the calling process. Every answer goes
through our own checker; the feasible one with the lower objective wins, ties going to OR-Tools.

The caller must itself be a worker process (the routing service submits `solve` to its spawn
ProcessPoolExecutor): both engines hold the GIL for the whole search. Everything `solve` takes
and returns is plain and picklable.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import time
from collections.abc import Callable
from typing import Any

from . import pyvrp_engine
from .checker import check
from .ortools_engine import TUNED, SearchConfig, solve_ortools
from .problem import Problem, Solution

Progress = Callable[[int, float, str], None]  # (best objective so far, elapsed s, engine)

# Kept from the budget for collecting the child's answer and checking the plans.
_MARGIN = 0.15
# The part of the budget OR-Tools gets beside PyVRP (at least a second).
SAFETY_NET_SHARE = 0.25


def _ortools_child(
    problem: Problem,
    deadline: float,
    config: SearchConfig,
    initial_routes: tuple[tuple[int, ...], ...] | None,
    out: Any,
) -> None:
    """Runs in the spawned child: stream progress, then the routes (or None) and a reason."""
    try:
        found = solve_ortools(
            problem,
            deadline - time.time(),  # the spawn took part of the budget
            config,
            lambda cost, elapsed, _engine: out.put(("progress", cost, "")),
            initial_routes,
        )
        out.put(("done", found.routes if found.routes else None, found.reason))
    except Exception as error:  # reported to the parent, which still has PyVRP's plan
        out.put(("done", None, f"OR-Tools failed: {error!r}"))


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

    deadline = time.time() + budget
    net_deadline = min(deadline, time.time() + max(1.0, SAFETY_NET_SHARE * budget))
    ctx = multiprocessing.get_context("spawn")
    inbox: Any = ctx.Queue()
    child: Any = ctx.Process(
        target=_ortools_child,
        args=(problem, net_deadline, config, initial_routes, inbox),
        daemon=True,
    )
    try:
        child.start()
    except (AssertionError, OSError):
        child = None  # a daemonic caller (multiprocessing.Pool) may not have children
    answer: list[tuple[Any, str]] = []

    def drain(wait_until: float | None = None) -> None:
        while child is not None and not answer:
            try:
                if wait_until is None:
                    kind, value, note = inbox.get_nowait()
                else:
                    kind, value, note = inbox.get(timeout=max(0.0, wait_until - time.time()))
            except queue.Empty:
                return
            if kind == "progress":
                relay(value, "ortools")
            else:
                answer.append((value, note))

    def on_pyvrp(cost: int, _elapsed: float) -> None:
        relay(cost, "pyvrp")
        drain()

    candidates: list[Solution] = []
    try:
        routes = pyvrp_engine.solve_pyvrp(problem, deadline, seed, on_pyvrp)
        if routes is not None:
            candidates.append(_checked(problem, routes, "pyvrp", time.monotonic() - began))
    except Exception as error:  # PyVRP failing must not lose OR-Tools' plan
        candidates.append(Solution((), 0, False, "pyvrp", 0.0, reason=f"PyVRP failed: {error!r}"))
    if child is not None:
        drain(wait_until=deadline + 2.0)  # it stops at the same deadline; allow some slack
        if child.is_alive():
            child.terminate()
        child.join(timeout=2.0)
        with contextlib.suppress(Exception):
            inbox.close()
        if answer and answer[0][0] is not None:
            routes = tuple(tuple(r) for r in answer[0][0])
            candidates.insert(0, _checked(problem, routes, "ortools", time.monotonic() - began))
        elif answer:
            candidates.insert(0, Solution((), 0, False, "ortools", 0.0, reason=answer[0][1]))
    else:
        alone = solve_ortools(problem, 0.5, config, None, initial_routes)  # no second core
        candidates.insert(0, alone)
    return _final(problem, candidates, began, relay)


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
