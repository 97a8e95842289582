"""The one error every feed reader raises for input it cannot use."""

import json
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from pydantic import ValidationError

MAX_JSON_BYTES = 5_000_000
P = ParamSpec("P")
R = TypeVar("R")


class FeedError(ValueError):
    """A feed document is malformed, invalid or not what the reader expects; says why."""


def json_object(data: Mapping[str, Any] | bytes | str, what: str) -> Mapping[str, Any]:
    """A feed document as a JSON object, or a FeedError saying what it is instead."""
    if isinstance(data, bytes | str):
        size = len(data)
        if size > MAX_JSON_BYTES:
            raise FeedError(
                f"the {what} is {size / 1e6:.1f} MB; feed documents are refused above "
                f"{MAX_JSON_BYTES / 1e6:.0f} MB"
            )
        try:
            data = json.loads(data, parse_constant=_no_constant)
        except RecursionError:
            raise FeedError(f"the {what} nests arrays or objects too deeply") from None
        except UnicodeDecodeError as exc:
            raise FeedError(f"the {what} is not UTF-8 (JSON must be): {exc.reason}") from None
        except ValueError as exc:
            raise FeedError(f"not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise FeedError(f"the {what} is not a JSON object")
    return data


def _no_constant(name: str) -> Any:
    raise FeedError(f"JSON does not allow {name}")


def reader(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A reader builds contracts from untrusted data: a value a contract refuses, or a document
    that nests deeper than Python recurses, is that document's fault, said as a FeedError."""

    def decorate(read: Callable[P, R]) -> Callable[P, R]:
        @wraps(read)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return read(*args, **kwargs)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "the document"
                raise FeedError(
                    f"the {what} has a wrong value at {where}: {first['msg']}"
                ) from None
            except RecursionError:
                raise FeedError(f"the {what} nests elements too deeply") from None

        return guarded

    return decorate
