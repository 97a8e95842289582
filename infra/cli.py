"""The `bocage` command: one entry point, subcommands registered by the modules that own them."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module exposes `register(subparsers)`; they are imported lazily so that a command only
# loads what it needs (building a graph must not import the gateway, and so on).
COMMAND_MODULES = (
    "infra.cli_contracts",
    "infra.cli_stack",
    "infra.cli_users",
    "infra.cli_graph",
    "infra.cli_solve",
    "infra.cli_feeds",
    "infra.cli_demo",
)


class CommandError(Exception):
    """A failure the user can act on; printed without a stack trace."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bocage", description="Bocage: rounds, carpooling and alerts for intercommunalities."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue  # that command is not part of this build yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except CommandError as error:
        print(f"bocage: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    # Run as `python -m infra.cli`, this file is `__main__`, not `infra.cli`: use the module the
    # command modules import, so that its CommandError is the one caught.
    from infra.cli import main as module_main

    sys.exit(module_main())
