"""Envelope helpers: wrap a contract model for the wire, and open one coming in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from contracts.base import Contract
from contracts.envelope import Envelope

ModelT = TypeVar("ModelT", bound=Contract)


class InvalidMessage(ValueError):
    """A message or RPC payload does not match its contract; the text says what is wrong."""


def describe_validation_error(error: ValidationError | Sequence[Mapping[str, Any]]) -> str:
    """The one way a validation error is told to a person: `where: what` for each problem.

    Takes pydantic's error or its `errors()` list (FastAPI's request errors are such a list);
    the input is never echoed (it may be huge, or NaN, which JSON cannot carry).
    """
    issues = error.errors() if isinstance(error, ValidationError) else error
    return "; ".join(
        f"{'.'.join(str(p) for p in issue.get('loc', ())) or '(root)'}: "
        f"{issue.get('msg', 'invalid')}"
        for issue in issues
    )


def make_message(
    payload: Contract, *, tenant: str, correlation_id: str | None = None
) -> dict[str, Any]:
    """The JSON body of an event or an RPC argument."""
    return Envelope.wrap(payload, tenant=tenant, correlation_id=correlation_id).model_dump(
        mode="json"
    )


def open_message(body: Any, model: type[ModelT]) -> tuple[Envelope, ModelT]:
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
