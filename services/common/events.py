"""Envelope helpers: wrap a contract model for the wire, and open one coming in."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from contracts.base import Contract
from contracts.envelope import Envelope

ModelT = TypeVar("ModelT", bound=Contract)


class InvalidMessage(ValueError):
    """A message or RPC payload does not match its contract; the text says what is wrong."""


def describe_validation_error(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in issue['loc']) or '(root)'}: {issue['msg']}"
        for issue in error.errors()
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
