"""`bocage solve FILE.vrp`: solve a VRPLIB instance with the rounds solver, for comparison with
the literature (Solomon/Gehring–Homberger VRPTW under the DIMACS convention, CVRP rounded)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.cli import CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "solve",
        help="solve a VRPLIB instance (CVRP or VRPTW)",
        description="Solve a VRPLIB instance and print its cost and routes.",
    )
    parser.add_argument("file", help="the .vrp instance")
    parser.add_argument(
        "--time-limit", type=float, default=10.0, metavar="S", help="seconds (default 10)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"cost", "routes", "feasible", "seconds"} as JSON',
    )
    parser.add_argument("--write", metavar="FILE.sol", help="also write a VRPLIB solution file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the solver pulls in OR-Tools, which other commands must not pay for.
    from services.routing.rounds import InstanceError, read_instance, solve, write_solution

    if args.time_limit <= 0:
        raise CommandError("--time-limit must be a positive number of seconds")
    try:
        instance = read_instance(args.file)
    except InstanceError as error:
        raise CommandError(str(error)) from error
    solution = solve(instance.problem, args.time_limit, seed=args.seed)
    routes = instance.client_routes(solution.routes)
    cost = instance.cost(solution.objective) if solution.feasible else None
    result: dict[str, Any] = {
        "cost": cost,
        "routes": routes,
        "feasible": solution.feasible,
        "seconds": round(solution.seconds, 2),
    }
    if not solution.feasible:
        result["reason"] = solution.reason
    if args.write and solution.feasible:
        write_solution(args.write, routes, cost or 0.0)
    if args.json:
        print(json.dumps(result))
    else:
        if not solution.feasible:
            print(f"{instance.name}: no feasible plan ({solution.reason})")
            return 1
        for i, route in enumerate(routes, 1):
            print(f"Route #{i}: {' '.join(map(str, route))}")
        print(f"Cost {cost}")
        print(f"{instance.name}: {len(routes)} routes in {solution.seconds:.1f} s", file=sys.stderr)
    return 0 if solution.feasible else 1
