"""`bocage contracts export DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contracts_parser = subparsers.add_parser("contracts", help="the shared message contracts")
    actions = contracts_parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    export = actions.add_parser("export", help="write one JSON Schema per contract model")
    export.add_argument("directory", type=Path)
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    from contracts.export import export_schemas

    written = export_schemas(args.directory)
    print(f"wrote {len(written)} schemas to {args.directory}")
    return 0
