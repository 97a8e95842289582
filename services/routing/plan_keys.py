"""A new round's id, so that asking twice never makes two plans. Pure.

The same RPC delivered twice (a broker restart mid-solve) carries the same request id; a
dispatcher who sends the plan again after a 503 or a timeout is a new request, and only the
`client_key` they chose ties it to the first: the same key from the same person, for the same
kind of round and day, names the same round, so the second ask answers the plan the first made
(or makes it, once). The same key with another request is a mistake to refuse, not to guess.
"""

from __future__ import annotations

from typing import Any

from contracts.identity import Caller
from services.common.request_id import object_suffix


def plan_round_id(
    kind: str, request: dict[str, Any], caller: Caller, request_id: str | None
) -> str:
    client_key = request.get("client_key")
    source = f"{caller.username}\n{kind}\nkey:{client_key}" if client_key else request_id
    return f"{kind}-{request['date']}-{object_suffix(source)}"


def replan_id(round_id: str, change: dict[str, Any], caller: Caller, request_id: str | None) -> str:
    """A replan's id within its round: from the caller's `client_key` when given, else from
    the RPC request (the same on a redelivery)."""
    client_key = change.get("client_key")
    source = f"{caller.username}\nreplan:{round_id}\nkey:{client_key}" if client_key else request_id
    return object_suffix(source)


def same_ask(stored: dict[str, Any], asked: dict[str, Any]) -> bool:
    """Whether a stored round's request is the one asked again (its time limit aside: a retry
    may well allow the solver longer)."""
    ignore = {"time_limit_s"}
    return {k: v for k, v in stored.items() if k not in ignore} == {
        k: v for k, v in asked.items() if k not in ignore
    }
