"""The Base Adresse Nationale files on disk: one per department, `adresses-<dep>.csv` (or
`.csv.gz`, as adresse.data.gouv.fr serves them), in the directory `ALERTS_ADDRESS_DIR` names.

Only the rows of the communes being imported are parsed: a department holds about a million
addresses, a mairie's file a few communes.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path

from services.alerts.addresses import AddressBook, read_ban_csv
from services.alerts.contact_placing import department_of


def department_file(directory: Path, department: str) -> Path | None:
    for name in (f"adresses-{department}.csv", f"adresses-{department}.csv.gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def load_address_books(
    directory: str | Path | None, communes: Iterable[str]
) -> dict[str, AddressBook]:
    """The address books of the departments of `communes` that have a file (none without a
    directory); each holds those communes' addresses only."""
    if not directory:
        return {}
    wanted = set(communes)
    books: dict[str, AddressBook] = {}
    for department in sorted({department_of(code) for code in wanted}):
        path = department_file(Path(directory), department)
        if path is None:
            continue
        codes = {code for code in wanted if department_of(code) == department}
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", newline="") as lines:  # type: ignore[operator]
            books[department] = read_ban_csv(_rows_of(lines, codes))
    return books


def _rows_of(lines: Iterable[str], codes: set[str]) -> Iterator[str]:
    """The header, then the lines naming one of `codes` between separators (a cheap filter
    before parsing; a postal code equal to one of them lets a line through, which is harmless:
    the parser files it under its own INSEE code)."""
    iterator = iter(lines)
    header = next(iterator, "")
    yield header
    needles = [f";{code};" for code in codes]
    for line in iterator:
        if any(needle in line for needle in needles):
            yield line
