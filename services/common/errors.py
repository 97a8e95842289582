"""Errors a caller can cause. RPC callers see them as `RemoteError.exc_type` by these names,
which the gateway turns into 404 / 403 / 409 / 422 with the message."""


class NotFound(LookupError):
    """The thing asked for does not exist (for this tenant)."""


class Forbidden(PermissionError):
    """The caller may not act on this (e.g. a mayor on another commune)."""


class Conflict(RuntimeError):
    """The request does not fit the current state (e.g. sending a cancelled campaign)."""
