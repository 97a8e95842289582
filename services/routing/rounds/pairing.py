"""Two PyVRP searches on two cores, trading their best solution at the end of each epoch.

The budget is cut into a few epochs sharing the same wall-clock ends in both processes. Each
epoch is a fresh PyVRP search started from the best solution either process holds (the first
from PyVRP's own construction), with a seed of its own. Measured (README.md): restarting from
the best beats one long search, whose late-acceptance history keeps the poor early solutions
and lets it wander; where the second core is free, each epoch gets two tries (at equal CPU per
search this helped further; on a machine shared by sessions the two processes share one
session's CPU and it does not, see README.md).

The partner (`partner`, in a forked or spawned process) is also the safety net: if neither
search has a feasible solution after the first epoch, it runs OR-Tools for the rest instead.
Everything crossing the processes is plain: costs, `pyvrp_engine.Plain` solutions, routes.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .ortools_engine import SearchConfig, solve_ortools
from .problem import Problem
from .pyvrp_engine import Plain, Report, Search

Found = tuple[int, Plain] | None  # (cost, solution) of a feasible solution, or none yet

# An epoch lasts about this long (seconds), with at least two and at most MAX_EPOCHS of them.
EPOCH_SECONDS = 2.0
MAX_EPOCHS = 5
# How long an epoch's end waits for the partner's best of the same epoch (they end together).
SYNC_WAIT = 0.25


def epoch_ends(now: float, deadline: float) -> tuple[float, ...]:
    """The `time.time()` values at which the epochs of a search from `now` to `deadline` end."""
    span = max(0.0, deadline - now)
    count = max(2, min(MAX_EPOCHS, int(span // EPOCH_SECONDS)))
    return tuple(now + span * (i + 1) / count for i in range(count))


def better(a: Found, b: Found) -> Found:
    if a is None:
        return b
    if b is None:
        return a
    return b if b[0] < a[0] else a


@dataclass(frozen=True)
class Final:
    """The partner's answer: its routes in our vehicle order (None if none), why, which engine."""

    routes: tuple[tuple[int, ...], ...] | None
    note: str
    engine: str


class Link:
    """One side of the two queues between the searches."""

    def __init__(
        self, outbox: Any, inbox: Any, on_progress: Callable[[int], None] | None = None
    ) -> None:
        self.outbox, self.inbox, self.on_progress = outbox, inbox, on_progress
        self.partner_running = False
        self.partner_epoch = -1
        self.partner_best: Found = None
        self.final: Final | None = None

    def send(self, *message: Any) -> None:
        self.outbox.put(message)

    def poll(
        self, wait_until: float | None = None, until: Callable[[], bool] = lambda: True
    ) -> None:
        """Read what the partner sent; with `wait_until`, keep reading until `until()` or then."""
        while wait_until is None or not until():
            try:
                if wait_until is None:
                    message = self.inbox.get_nowait()
                else:
                    message = self.inbox.get(timeout=max(0.0, wait_until - time.time()))
            except queue.Empty:
                return
            kind = message[0]
            if kind == "running":
                self.partner_running = True
            elif kind == "progress" and self.on_progress is not None:
                self.on_progress(message[1])
            elif kind == "best":
                self.partner_epoch = max(self.partner_epoch, message[1])
                self.partner_best = better(self.partner_best, message[2])
            elif kind == "done":
                self.final = Final(message[1], message[2], message[3])

    def exchange(self, epoch: int, own: Found, wait_until: float) -> Found:
        """Post our best of `epoch`, and return the better of it and the partner's latest."""
        self.send("best", epoch, own)
        self.poll()
        if self.partner_running and self.final is None:
            self.poll(wait_until, lambda: self.partner_epoch >= epoch or self.final is not None)
        return better(own, self.partner_best)

    def wait_final(self, wait_until: float) -> Final | None:
        self.poll(wait_until, lambda: self.final is not None)
        return self.final

    def close(self) -> None:
        """Once the partner is gone: empty and close both queues and end their feeder threads,
        so that this process is single-threaded again (`solver` forks only then)."""
        for q in (self.inbox, self.outbox):
            with contextlib.suppress(Exception):
                while True:
                    q.get_nowait()
        for q in (self.inbox, self.outbox):
            with contextlib.suppress(Exception):
                q.close()
                q.join_thread()


def searches(
    search: Search,
    ends: tuple[float, ...],
    seed: int,
    report: Report | None,
    link: Link | None,
) -> Found:
    """This process's epochs: the best feasible solution it saw (its own or the partner's)."""
    best: Found = None
    for epoch, end in enumerate(ends):
        if link is not None:
            link.poll()
            best = better(best, link.partner_best)
        start = None if best is None else best[1]
        best = better(best, search.run(end, seed + 2 * epoch, report, start))
        if link is not None and epoch < len(ends) - 1:
            best = link.exchange(epoch, best, end + SYNC_WAIT)
    return best


def partner(
    problem: Problem,
    ends: tuple[float, ...],
    seed: int,
    config: SearchConfig,
    initial_routes: tuple[tuple[int, ...], ...] | None,
    inbox: Any,
    outbox: Any,
) -> None:
    """Runs in the partner process: the second search, or OR-Tools if no search finds a plan."""
    link = Link(outbox, inbox)
    link.send("running")
    try:
        search = Search(problem)
        best: Found = None
        for epoch, end in enumerate(ends):
            link.poll()
            best = better(best, link.partner_best)
            if time.time() >= end:
                continue  # starting took this epoch
            if epoch > 0 and best is None and link.partner_epoch >= 0:
                net = solve_ortools(
                    problem,
                    ends[-1] - time.time(),
                    config,
                    lambda cost, _elapsed, _engine: link.send("progress", cost),
                    initial_routes,
                )
                link.send("done", found_routes(net.routes), net.reason, "ortools")
                return
            start = None if best is None else best[1]
            found = search.run(end, seed + 2 * epoch, lambda c, _t: link.send("progress", c), start)
            best = better(best, found)
            if epoch < len(ends) - 1:
                best = link.exchange(epoch, best, end + SYNC_WAIT)
        if best is None:
            link.send("done", None, "PyVRP found no feasible plan", "pyvrp")
        else:
            link.send("done", search.routes(best[1]), "", "pyvrp")
    except Exception as error:  # reported to the other search, which still has its own plan
        link.send("done", None, f"the second search failed: {error!r}", "pyvrp")


def found_routes(routes: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...] | None:
    return routes if routes else None
