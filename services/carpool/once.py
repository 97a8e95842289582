"""Ids that make `offer_ride` and `request_ride` idempotent under RPC redelivery. Pure.

The id is derived from who the object belongs to and the client's key, or, without one, the
whole input: a redelivered (or repeated) call lands on the same id, finds it taken, and answers
the object already made instead of making and announcing a second one.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel


def derived_id(prefix: str, owner: str, given: BaseModel) -> str:
    client_key = getattr(given, "client_key", None)
    key = (
        f"key:{client_key}"
        if client_key
        else "content:" + given.model_dump_json(exclude={"client_key"})
    )
    digest = hashlib.sha256(f"{owner}\n{key}".encode()).hexdigest()
    return f"{prefix}-{digest[:12]}"
