"""Round quality: our solver against plain OR-Tools and PyVRP on the VRPLIB instances.

For each instance of ../shared/data/vrp/ (a .vrp with its .sol) and each time budget, runs one
solver at a time, same budget each: ours (`rounds.solve`: two PyVRP searches on two cores trading
their best at each epoch's end), plain OR-Tools (PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, default
parameters, same model), PyVRP alone and, on request, `pyvrp_epochs` (our epochs on one core: what
the second core adds is ours against it). Every plan is checked by our own checker; the gap is to
the best-known cost. Prints one JSON object, with ours ÷ PyVRP of the median gaps.

    python -m bench.rounds [--budgets 10 60] [--instances R105 C106] [--data DIR] [--seed N]
        [--solvers ours ortools_plain pyvrp pyvrp_epochs]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from services.routing.rounds import (  # noqa: E402
    PLAIN,
    check,
    read_best_known,
    read_instance,
    solve,
)
from services.routing.rounds.ortools_engine import solve_ortools  # noqa: E402
from services.routing.rounds.pairing import epoch_ends, searches  # noqa: E402
from services.routing.rounds.pyvrp_engine import Search, solve_pyvrp  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("BOCAGE_SHARED_DATA", REPO.parent / "shared" / "data")) / "vrp"
SOLVERS = ("ours", "ortools_plain", "pyvrp", "pyvrp_epochs")
TARGETS = {10.0: 2.0, 60.0: 1.0}  # budget (s) -> median gap target (%)


def _entry(instance: Any, routes: Any, seconds: float, best: float) -> dict[str, Any]:
    if routes is None:
        return {"cost": None, "feasible": False, "gap_pct": None, "seconds": round(seconds, 2)}
    verdict = check(instance.problem, routes)
    cost = instance.cost(verdict.objective)
    return {
        "cost": cost if verdict.feasible else None,
        "feasible": verdict.feasible,
        "gap_pct": round(100 * (cost - best) / best, 2) if verdict.feasible else None,
        "seconds": round(seconds, 2),
    }


def run_one(path: Path, budget: float, seed: int, solvers: list[str]) -> dict[str, Any]:
    instance = read_instance(path)
    best = read_best_known(path.with_suffix(".sol"))
    assert best is not None, f"{path.with_suffix('.sol')} has no Cost line"
    out: dict[str, Any] = {"best_known": best}

    if "ours" in solvers:
        ours = solve(instance.problem, budget, seed=seed)
        out["ours"] = _entry(instance, ours.routes if ours.feasible else None, ours.seconds, best)
        out["ours"]["engine"] = ours.engine

    if "ortools_plain" in solvers:
        plain = solve_ortools(instance.problem, budget, PLAIN)
        out["ortools_plain"] = _entry(
            instance, plain.routes if plain.feasible else None, plain.seconds, best
        )

    if "pyvrp" in solvers:
        began = time.monotonic()
        routes = solve_pyvrp(instance.problem, time.time() + budget, seed)
        out["pyvrp"] = _entry(instance, routes, time.monotonic() - began, best)

    if "pyvrp_epochs" in solvers:
        # Our epochs restarting from the best, on one core: what the second core adds is
        # ours against this.
        began = time.monotonic()
        search = Search(instance.problem)
        found = searches(search, epoch_ends(time.time(), time.time() + budget), seed, None, None)
        routes = None if found is None else search.routes(found[1])
        out["pyvrp_epochs"] = _entry(instance, routes, time.monotonic() - began, best)
    return out


def _median(values: list[float | None]) -> float | None:
    # An instance without a feasible plan counts as an infinite gap.
    numbers = [float("inf") if v is None else v for v in values]
    if not numbers:
        return None
    m = statistics.median(numbers)
    return None if m == float("inf") else round(m, 2)


def summarise(
    results: dict[str, dict[str, Any]], budget: float, solvers: list[str]
) -> dict[str, Any]:
    gaps = {solver: [r[solver]["gap_pct"] for r in results.values()] for solver in solvers}
    medians = {solver: _median(values) for solver, values in gaps.items()}
    ours_med, pyvrp_med = medians.get("ours"), medians.get("pyvrp")
    never_worse = None
    if "ours" in solvers and "ortools_plain" in solvers:
        never_worse = all(
            r["ours"]["feasible"]
            and (
                not r["ortools_plain"]["feasible"]
                or r["ours"]["cost"] <= r["ortools_plain"]["cost"]
            )
            for r in results.values()
        )
    target = TARGETS.get(budget)
    return {
        "median_gap_pct": medians,
        # Undefined when PyVRP's median gap is 0 (or either is missing).
        "ours_to_pyvrp_median_ratio": (
            None if ours_med is None or not pyvrp_med else round(ours_med / pyvrp_med, 2)
        ),
        "targets": {
            "median_gap_pct_max": target,
            "median_gap_ok": None if target is None or ours_med is None else ours_med <= target,
            "never_worse_than_plain_ortools": never_worse,
            "no_worse_than_pyvrp_median": (
                None if ours_med is None or pyvrp_med is None else ours_med <= pyvrp_med
            ),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=[10.0])
    parser.add_argument("--instances", nargs="*", help="instance names (default: all)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--solvers", nargs="+", choices=SOLVERS, default=list(SOLVERS[:3]))
    args = parser.parse_args(argv)
    paths = sorted(p for p in args.data.glob("*.vrp") if p.with_suffix(".sol").exists())
    if args.instances:
        paths = [p for p in paths if p.stem in set(args.instances)]
    if not paths:
        print(f"no instances with a .sol in {args.data}", file=sys.stderr)
        return 2
    report: dict[str, Any] = {
        "benchmark": "rounds",
        "data": str(args.data),
        "cpus": os.cpu_count(),
        "seed": args.seed,
        "budgets": {},
    }
    for budget in args.budgets:
        results = {p.stem: run_one(p, budget, args.seed, args.solvers) for p in paths}
        report["budgets"][str(budget)] = {
            "instances": results,
            **summarise(results, budget, args.solvers),
        }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
