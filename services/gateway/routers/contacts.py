"""The mairie's contact registry: CSV import, RGPD export and erasure, opt-out and opt-in.

A mayor acts only on their own communes: an import passes only their communes to the alerts
service, so rows of other communes come back rejected with the reason.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status

from contracts.alerts import ContactImportReport
from contracts.gateway_alerts import ContactExport, OptOutState, PhoneRequest
from services.gateway.roles import CurrentUser
from services.gateway.routers.campaigns import (
    AlertUser,
    GatewayDep,
    commune_scope,
    communes_map,
    uploaded_file,
)
from services.gateway.rpc import expect
from services.gateway.state import Gateway

router = APIRouter(prefix="/contacts", tags=["contacts"])
ContactId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "the contact lives in a commune that is not yours"},
    404: {"description": "no such contact"},
    503: {"description": "the alerts service is unreachable or did not answer"},
}
CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": "the CSV as the mairie keeps it (UTF-8 or Windows-1252, ';' or ','): "
        "a multipart form with a file field, or the file itself as text/csv",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/import",
    response_model=ContactImportReport,
    responses={**ERRORS, 422: {"description": "the file as a whole cannot be read (why)"}},
    openapi_extra=CSV_BODY,
)
def import_contacts(
    data: Annotated[bytes, Depends(uploaded_file)], user: AlertUser, gateway: GatewayDep
) -> ContactImportReport:
    """A verdict per row: imported, merged with an earlier row, or rejected with its reasons."""
    if not data.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="the file is empty")
    answer = gateway.rpc.call(
        "alerts",
        "import_contacts",
        gateway.settings.tenant,
        base64.b64encode(data).decode("ascii"),
        communes_map(gateway, user),
        user.user.username,
    )
    return expect("alerts", ContactImportReport, answer)


def _export(gateway: Gateway, user: CurrentUser, contact_id: str) -> ContactExport:
    answer = gateway.rpc.call(
        "alerts", "export_contact", gateway.settings.tenant, contact_id, user.user.username
    )
    export = expect("alerts", ContactExport, answer)
    scope = commune_scope(user)
    if scope is not None and export.contact.commune not in scope:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"contact {contact_id} lives in commune {export.contact.commune}, not yours",
        )
    return export


@router.get("/{contact_id}/export", response_model=ContactExport, responses=ERRORS)
def export_contact(contact_id: ContactId, user: AlertUser, gateway: GatewayDep) -> ContactExport:
    """Everything held about one person (RGPD right of access)."""
    return _export(gateway, user, contact_id)


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def erase_contact(contact_id: ContactId, user: AlertUser, gateway: GatewayDep) -> None:
    """RGPD erasure; delivery reports keep the number and outcome but no name."""
    if commune_scope(user) is not None:
        # The service takes no commune scope here: read the contact first to check a mayor's.
        _export(gateway, user, contact_id)
    gateway.rpc.call(
        "alerts", "erase_contact", gateway.settings.tenant, contact_id, user.user.username
    )


def _set_opt_out(
    gateway: Gateway, user: CurrentUser, body: PhoneRequest, opted_out: bool
) -> OptOutState:
    answer = gateway.rpc.call(
        "alerts",
        "set_opt_out",
        gateway.settings.tenant,
        body.phone,
        opted_out,
        user.user.username,
    )
    return expect("alerts", OptOutState, answer)


@router.post(
    "/opt-out",
    response_model=OptOutState,
    responses={**ERRORS, 422: {"description": "not a phone number"}},
)
def opt_out(body: PhoneRequest, user: AlertUser, gateway: GatewayDep) -> OptOutState:
    """This number receives no more alerts from this intercommunality."""
    return _set_opt_out(gateway, user, body, True)


@router.post(
    "/opt-in",
    response_model=OptOutState,
    responses={**ERRORS, 422: {"description": "not a phone number"}},
)
def opt_in(body: PhoneRequest, user: AlertUser, gateway: GatewayDep) -> OptOutState:
    """Lifts the mairie's opt-out (a STOP sent by SMS is lifted only by the person's START)."""
    return _set_opt_out(gateway, user, body, False)
