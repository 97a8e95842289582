"""The one error every feed reader raises for input it cannot use."""

import json
from collections.abc import Mapping
from typing import Any


class FeedError(ValueError):
    """A feed document is malformed, invalid or not what the reader expects; says why."""


def json_object(data: Mapping[str, Any] | bytes | str, what: str) -> Mapping[str, Any]:
    """A feed document as a JSON object, or a FeedError saying what it is instead."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise FeedError(f"not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise FeedError(f"the {what} is not a JSON object")
    return data
