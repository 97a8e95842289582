"""Envelope helpers: wrap a contract model for the wire, and open one coming in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from contracts.base import Contract
from contracts.envelope import Envelope


class InvalidMessage(ValueError):
    """A message or RPC payload does not match its contract; the text says what is wrong."""


def describe_validation_error(
    error: ValidationError | Sequence[Mapping[str, Any]],
    *,
    skip: int = 0,
    names: Mapping[str, str] | None = None,
    root: str = "(root)",
) -> str:
    """The one way a validation error is told to a person: `where: what` for each problem.

    Takes pydantic's error or its `errors()` list (FastAPI's request errors are such a list);
    the input is never echoed (it may be huge, or NaN, which JSON cannot carry). `skip` drops
    the first parts of each location (FastAPI's `query`, `body`), `names` renames the first
    remaining one (a field to its environment variable), `root` names a problem with no place.
    """
    issues = error.errors() if isinstance(error, ValidationError) else error
    described = []
    for issue in issues:
        parts = [str(part) for part in tuple(issue.get("loc", ()))[skip:]]
        if parts and names:
            parts[0] = names.get(parts[0], parts[0])
        described.append(f"{'.'.join(parts) or root}: {issue.get('msg', 'invalid')}")
    return "; ".join(described)


def make_message(
    payload: Contract, *, tenant: str, correlation_id: str | None = None
) -> dict[str, Any]:
    """The JSON body of an event or an RPC argument."""
    return Envelope.wrap(payload, tenant=tenant, correlation_id=correlation_id).model_dump(
        mode="json"
    )


def valid_input[ModelT: BaseModel](model: type[ModelT], raw: Any) -> ModelT:
    """`raw` as a `model`, or InvalidMessage saying what is wrong, as a person reads it."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidMessage(describe_validation_error(error)) from None


def open_message[ModelT: Contract](body: Any, model: type[ModelT]) -> tuple[Envelope, ModelT]:
    """Validate an incoming envelope and its payload; raise InvalidMessage with the reason."""
    try:
        envelope = Envelope.model_validate(body)
    except ValidationError as error:
        raise InvalidMessage(f"bad envelope: {describe_validation_error(error)}") from None
    try:
        payload = model.model_validate(envelope.payload)
    except ValidationError as error:
        raise InvalidMessage(
            f"bad {model.__name__} payload: {describe_validation_error(error)}"
        ) from None
    return envelope, payload
