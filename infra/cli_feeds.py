"""`bocage feeds check FILE --kind cap|meteofrance|vigicrues`: read a feed document offline, as the
alerts service would, and say what it holds or why it is refused. Nothing is stored or drafted.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from infra.cli import CommandError

REPO_ROOT = Path(__file__).resolve().parent.parent


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    feeds = subparsers.add_parser("feeds", help="vigilance feed documents")
    actions = feeds.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    check = actions.add_parser(
        "check", help="read a feed document offline: its alerts, or why it is refused"
    )
    check.add_argument("file", type=Path)
    check.add_argument("--kind", required=True, choices=["cap", "meteofrance", "vigicrues"])
    check.add_argument(
        "--cap-schema",
        type=Path,
        help="CAP-v1.2.xsd (default: $ALERTS_CAP_SCHEMA, else the cap/ folder of "
        "$BOCAGE_SHARED_DATA or ../shared/data)",
    )
    check.set_defaults(handler=_check)


def _schema(given: Path | None) -> str:
    if given is not None:
        return str(given)
    if os.environ.get("ALERTS_CAP_SCHEMA"):
        return os.environ["ALERTS_CAP_SCHEMA"]
    shared = os.environ.get("BOCAGE_SHARED_DATA")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared" / "data"
    return str(base / "cap" / "CAP-v1.2.xsd")


def _check(args: argparse.Namespace) -> int:
    from services.alerts.feed_intake import parse_feed
    from services.common.events import InvalidMessage

    try:
        content = args.file.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror}") from None
    try:
        parsed = parse_feed(args.kind, content, _schema(args.cap_schema))
    except InvalidMessage as refusal:
        raise CommandError(str(refusal)) from None
    for item in parsed.judged:
        print(f"{item.outcome:<14} {item.label}: {item.reason}")
    for level in parsed.levels:
        language = f" [{level.language}]" if level.language else ""
        print(
            f"{'read':<14} {level.event}{language}, niveau {level.level} "
            f"({level.phenomenon}), {level.area_label}"
        )
    print(f"{len(parsed.levels)} alert(s) read, {len(parsed.judged)} judged before any area")
    return 0
