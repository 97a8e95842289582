"""The tenant's commune boundaries, for `bocage tenant set` (checking codes) and
`bocage tenant communes` (storing the boundaries the alerts service uses for areas).

Boundaries come from a GeoJSON file the intercommunality provides (`--geojson F`), or from the
reference files of IGN Admin Express (`communes-<dep>-*.geojson`, one per department) in
BOCAGE_COMMUNES_DIR, else `$BOCAGE_SHARED_DATA/communes`, else `../shared/data/communes` beside
the repository.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from infra.cli import CommandError
from services.alerts.feed_areas import department_of
from services.alerts.territory import (
    Commune,
    TerritoryError,
    communes_from_geojson,
    nearest_names,
    same_name,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def reference_dir() -> Path:
    if os.environ.get("BOCAGE_COMMUNES_DIR"):
        return Path(os.environ["BOCAGE_COMMUNES_DIR"])
    shared = os.environ.get("BOCAGE_SHARED_DATA")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared" / "data"
    return base / "communes"


def read_geojson(path: Path) -> list[Commune]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return communes_from_geojson(document)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:  # JSON or TerritoryError
        raise CommandError(f"{path} is not usable commune boundaries: {error}") from None


def reference_communes(directory: Path) -> dict[str, list[Commune]]:
    """The reference communes by department, from `communes-<dep>-*.geojson` files."""
    found: dict[str, list[Commune]] = {}
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob("communes-*.geojson")):
        department = path.name.split("-")[1].upper()
        found[department] = read_geojson(path)
    return found


def check_codes(pairs: Iterable[tuple[str, str]], directory: Path) -> list[str]:
    """Refuse a code the reference of its department does not hold, naming what was meant.
    Returns notes on codes that could not be checked (no reference for their department)."""
    reference = reference_communes(directory)
    wrong, unchecked = [], []
    for code, name in pairs:
        communes = reference.get(department_of(code))
        if communes is None:
            unchecked.append(code)
            continue
        known = {c.code: c for c in communes}
        if code not in known:
            hint = nearest_names(code, name, communes)
            wrong.append(f"{code}={name} is not an INSEE commune code: {hint}")
        elif not same_name(known[code].name, name):
            hint = nearest_names(code, name, communes)
            wrong.append(f"{code}={name}: {code} is {known[code].name}; {hint}")
    if wrong:
        raise CommandError("; ".join(wrong))
    if not unchecked:
        return []
    return [
        f"not checked (no boundaries of their department in {directory}): {', '.join(unchecked)}"
    ]


def boundaries_for(
    communes: Mapping[str, str], geojson: Path | None, directory: Path
) -> list[Commune]:
    """The boundaries of exactly the tenant's communes, or an error naming those missing."""
    if geojson is not None:
        source = {c.code: c for c in read_geojson(geojson)}
        where = str(geojson)
    else:
        source = {c.code: c for cs in reference_communes(directory).values() for c in cs}
        where = str(directory)
        if not source:
            raise CommandError(
                f"no commune boundaries in {where}: give --geojson FILE, or set "
                "BOCAGE_COMMUNES_DIR to a folder of communes-<dep>-*.geojson files"
            )
    missing = [f"{code}={name}" for code, name in communes.items() if code not in source]
    if missing:
        raise CommandError(f"{where} has no boundary for: {', '.join(missing)}")
    return [source[code] for code in communes]


__all__ = ["TerritoryError", "boundaries_for", "check_codes", "reference_dir"]
