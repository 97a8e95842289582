"""Values pydantic's lax mode would quietly turn into something else, refused instead.

Lax mode reads `true` as the number 1, and `0` or `"0"` as 1 January 1970. A request that sends
a boolean where a number belongs, or a number where a date belongs, is a mistake to report
(422), not a value to guess. `find_lax_coercion` tells, for a field's annotation and the raw
value, what was expected; `IsoDate` is a date parameter that takes only `YYYY-MM-DD`.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Iterable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
)

# pydantic's date types are not subclasses of date at run time: named one by one.
DATE_TYPES: tuple[Any, ...] = (
    dt.date,
    dt.datetime,
    AwareDatetime,
    NaiveDatetime,
    PastDate,
    FutureDate,
    PastDatetime,
    FutureDatetime,
)
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _base(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def find_lax_coercion(annotation: Any, value: Any) -> str | None:
    """What the field expected, if `value` would only fit `annotation` by a lax coercion."""
    annotation = _base(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in get_args(annotation) if a is not type(None)]
        found = [find_lax_coercion(option, value) for option in options]
        return found[0] if found and all(found) else None
    if annotation in (int, float):
        return "a number, not true or false" if isinstance(value, bool) else None
    if annotation in DATE_TYPES:
        numeric = isinstance(value, (bool, int, float)) or (
            isinstance(value, str) and _NUMBER_TEXT.match(value) is not None
        )
        return "an ISO 8601 date (YYYY-MM-DD...), not a number" if numeric else None
    if origin in (tuple, list, set, frozenset) and isinstance(value, (list, tuple)):
        args = [_base(a) for a in get_args(annotation)]
        pairs: Iterable[tuple[Any, Any]]
        if origin is tuple and args and args[-1] is not Ellipsis:
            pairs = zip(args, value, strict=False)
        elif args:
            pairs = ((args[0], item) for item in value)
        else:
            return None
        return next((f for a, v in pairs if (f := find_lax_coercion(a, v))), None)
    return None


def may_be_lax(annotation: Any) -> bool:
    """False when no value can fit `annotation` by one of the lax coercions refused here (a
    text field, a nested model): such a field need not be looked at, value by value."""
    annotation = _base(annotation)
    if annotation in (int, float) or annotation in DATE_TYPES:
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType, tuple, list, set, frozenset):
        return any(may_be_lax(a) for a in get_args(annotation) if a is not Ellipsis)
    return False


def _iso_date_only(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    if isinstance(value, (bool, int, float)):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
