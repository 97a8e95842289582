"""`bocage graph build` and `bocage graph info`: road graph artefacts for the routing service.

    bocage graph build --osm ../shared/data/osm/flanders-kempen-2013_drive.osm
    bocage graph build --place "Communauté de communes de Flandre Intérieure"   (needs internet)
    bocage graph build --polygon territory.geojson --out /srv/graphs
    bocage graph info var/graphs/flanders-kempen-2013_drive-<version>.npz

Artefacts go to --out, else $BOCAGE_GRAPH_DIR, else var/graphs/ in the repository (gitignored).
Progress goes to stderr; stdout gets one JSON object describing the artefact.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from infra.cli import CommandError

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_graph_dir() -> Path:
    return Path(os.environ.get("BOCAGE_GRAPH_DIR") or REPO_ROOT / "var" / "graphs")


def register(subparsers: Any) -> None:
    graph = subparsers.add_parser("graph", help="build and inspect road graph artefacts")
    actions = graph.add_subparsers(dest="graph_command", metavar="ACTION")
    actions.required = True

    build = actions.add_parser("build", help="build the drivable road graph artefact")
    source = build.add_mutually_exclusive_group(required=True)
    source.add_argument("--osm", type=Path, metavar="FILE", help="an OSM XML file (.osm)")
    source.add_argument("--place", metavar="NAME", help="a territory name (downloads; internet)")
    source.add_argument(
        "--polygon", type=Path, metavar="FILE", help="a GeoJSON polygon (downloads; internet)"
    )
    build.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: $BOCAGE_GRAPH_DIR or var/graphs)",
    )
    build.add_argument(
        "--no-simplify",
        action="store_true",
        help="keep every OSM node (larger; matrices give the same results)",
    )
    build.set_defaults(handler=_build)

    info = actions.add_parser("info", help="describe an artefact and time its loading")
    info.add_argument("artefact", type=Path, metavar="ARTEFACT")
    info.set_defaults(handler=_info)


def _build(args: argparse.Namespace) -> int:
    from services.routing import graph as builder  # osmnx is loaded only for this command

    progress = builder.stderr_progress()
    simplify = not args.no_simplify
    try:
        if args.osm is not None:
            built = builder.build_from_osm_file(args.osm, simplify=simplify, progress=progress)
            stem = args.osm.stem
        elif args.place is not None:
            built = builder.build_from_place(args.place, simplify=simplify, progress=progress)
            stem = _slug(args.place)
        else:
            built = builder.build_from_polygon(args.polygon, simplify=simplify, progress=progress)
            stem = args.polygon.stem
        out_dir = args.out or default_graph_dir()
        path = builder.write_artefact(built, out_dir, stem)
    except builder.GraphBuildError as error:
        raise CommandError(str(error)) from error
    except OSError as error:  # the output folder cannot be written
        raise CommandError(f"cannot write the artefact: {error}") from error
    progress(f"wrote {path}")
    print(json.dumps({"artefact": str(path), **_summary(built.meta)}))
    return 0


def _info(args: argparse.Namespace) -> int:
    from services.routing.artefact import ArtefactError, load_graph

    start = time.perf_counter()
    try:
        loaded = load_graph(args.artefact)
    except ArtefactError as error:
        raise CommandError(str(error)) from error
    elapsed = time.perf_counter() - start
    summary = {"artefact": str(args.artefact), **_summary(loaded.meta)}
    print(json.dumps({**summary, "load_s": round(elapsed, 4)}))
    return 0


def _summary(meta: dict[str, Any]) -> dict[str, Any]:
    keys = ("version", "source", "simplified", "nodes", "edges", "junctions", "chains", "bbox")
    return {key: meta.get(key) for key in keys} | {"built_at": meta.get("built_at")}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "place"
