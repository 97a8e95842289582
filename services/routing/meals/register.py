"""Pure: the existing register of seniors, as CSV, read into profiles with a report per row.

Columns: id, first_name, last_name, address, commune, lat, lon, weekdays (space-separated:
"lun mer ven"), diets (";"-separated), texture, allergies (";"), door_notes, then
contact1_name, contact1_phone, contact1_relation, contact2_... up to contact5 (in calling order).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError

from contracts.meals import SeniorIn
from services.common.events import describe_validation_error

MAX_ROWS = 5000
MAX_CONTACTS = 5


def _list(value: str | None, sep: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(sep) if part.strip()]


def _problems(error: ValidationError) -> str:
    return describe_validation_error(error, root="row")


def row_profile(row: dict[str, str]) -> dict[str, Any]:
    contacts = []
    for n in range(1, MAX_CONTACTS + 1):
        name = (row.get(f"contact{n}_name") or "").strip()
        phone = (row.get(f"contact{n}_phone") or "").strip()
        if name or phone:
            contact = {"name": name, "phone": phone}
            relation = (row.get(f"contact{n}_relation") or "").strip()
            if relation:
                contact["relation"] = relation
            contacts.append(contact)
    lat, lon = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
    return {
        "id": (row.get("id") or "").strip(),
        "first_name": (row.get("first_name") or "").strip(),
        "last_name": (row.get("last_name") or "").strip(),
        "address": (row.get("address") or "").strip(),
        "commune": (row.get("commune") or "").strip(),
        "location": [lat, lon],
        "weekdays": _list(row.get("weekdays"), None),
        "diets": _list(row.get("diets"), ";"),
        "texture": (row.get("texture") or "").strip() or "normale",
        "allergies": _list(row.get("allergies"), ";"),
        "door_notes": (row.get("door_notes") or "").strip(),
        "emergency_contacts": contacts,
    }


def import_report(csv_text: str) -> tuple[list[dict[str, Any]], list[tuple[int, SeniorIn]]]:
    """A report per data row (`row` counts from 2, the header being 1) and the valid profiles
    with the index of their report. A repeated id is refused on its second row."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = {"id", "first_name", "last_name", "address", "commune", "lat", "lon"} - set(
        reader.fieldnames or ()
    )
    if missing:
        raise ValueError(f"the CSV lacks the columns {', '.join(sorted(missing))}")
    report: list[dict[str, Any]] = []
    valid: list[tuple[int, SeniorIn]] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if len(report) >= MAX_ROWS:
            raise ValueError(f"at most {MAX_ROWS} rows per import")
        entry: dict[str, Any] = {"row": line, "id": (row.get("id") or "").strip()}
        try:
            profile = SeniorIn.model_validate(row_profile(row))
        except ValidationError as error:
            report.append({**entry, "status": "refused", "detail": _problems(error)})
            continue
        if profile.id in seen:
            report.append({**entry, "status": "refused", "detail": f"id {profile.id} repeated"})
            continue
        seen.add(profile.id)
        report.append({**entry, "status": "imported", "detail": ""})
        valid.append((len(report) - 1, profile))
    return report, valid
