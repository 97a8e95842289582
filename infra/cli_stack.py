"""`bocage up`, `bocage status`, `bocage down`."""

from __future__ import annotations

import argparse

from infra.cli import CommandError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = subparsers.add_parser("up", help="start the services and the gateway locally")
    up.add_argument("--wait", type=float, default=90.0, help="seconds to wait for /health")
    up.set_defaults(handler=_up)
    status = subparsers.add_parser("status", help="print each part's state")
    status.set_defaults(handler=_status)
    down = subparsers.add_parser("down", help="stop what `bocage up` started")
    down.add_argument("--only", help="stop only this part (routing, carpool, alerts, gateway)")
    down.set_defaults(handler=_down)


def _up(args: argparse.Namespace) -> int:
    from infra import runner

    try:
        runner.up(runner.StackConfig.from_environment(), wait_s=args.wait)
    except runner.StackError as error:
        raise CommandError(str(error)) from None
    return 0


def _status(args: argparse.Namespace) -> int:
    from infra import runner

    try:
        return 0 if runner.status(runner.StackConfig.from_environment()) else 1
    except runner.StackError as error:
        raise CommandError(str(error)) from None


def _down(args: argparse.Namespace) -> int:
    from infra import runner

    try:
        runner.down(runner.StackConfig.from_environment(), only=args.only)
    except (runner.StackError, KeyError) as error:
        raise CommandError(f"unknown part {error}") from None
    return 0
