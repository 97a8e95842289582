"""What several routers use: the gateway, the alert roles, an uploaded file, an alerts call made
on a user's behalf, the tenant's communes."""

from __future__ import annotations

import email.parser
import email.policy
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from contracts.users import Role
from services.gateway.roles import CurrentUser, require_roles
from services.gateway.state import Gateway, get_gateway

GatewayDep = Annotated[Gateway, Depends(get_gateway)]
ALERT_ROLES = (Role.MAYOR, Role.DISPATCHER, Role.ADMIN)
AlertUser = Annotated[CurrentUser, require_roles(*ALERT_ROLES)]
MAX_UPLOAD_BYTES = 5_000_000


def tenant_communes(gateway: Gateway) -> dict[str, str]:
    """The tenant's communes by code; the alerts service decides which the caller reaches."""
    return {c.code: c.name for c in gateway.users.get_tenant().communes}


async def uploaded_file(request: Request) -> bytes:
    """The file of a `multipart/form-data` upload (as a browser form sends it), or the raw body."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPLOAD_BYTES:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                detail=f"the file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB",
            )
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        return bytes(body)
    return _file_part(content_type, bytes(body))


def _file_part(content_type: str, body: bytes) -> bytes:
    # The standard library's MIME parser reads form-data; python-multipart is not a dependency.
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    files = [p for p in parts if p.get_filename()] or parts
    payload = files[0].get_payload(decode=True) if files else None
    if not isinstance(payload, bytes):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail="the form holds no file (field 'file')"
        )
    return payload


def _call(gateway: Gateway, method: str, *args: Any) -> Any:
    return gateway.rpc.call("alerts", method, gateway.settings.tenant, *args)


def call_as(gateway: Gateway, user: CurrentUser, method: str, *args: Any) -> Any:
    """An alerts RPC on behalf of `user`: their identity right after the tenant."""
    return _call(gateway, method, user.caller.model_dump(mode="json"), *args)
