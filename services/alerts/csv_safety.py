"""CSV cells a spreadsheet cannot run. Pure.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and
some strip a leading tab or carriage return first), so an imported name like `=HYPERLINK(...)`
would become a live formula in a mairie's report. Such a cell is written with a leading
apostrophe, which spreadsheets show as plain text (OWASP "CSV injection"). A plain number such as
an E.164 phone (`+33612345678`) or `-3` runs nothing and is left as it is.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe_cell(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def spreadsheet_safe(*cells: object) -> tuple[object, ...]:
    """A CSV row with every cell a spreadsheet would run as a formula escaped."""
    return tuple(spreadsheet_safe_cell(cell) for cell in cells)
