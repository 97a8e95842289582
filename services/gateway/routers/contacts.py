"""The mairie's contact registry: CSV import, RGPD export and erasure, opt-out and opt-in.

The alerts service decides, from the caller's identity passed on every call: a mayor imports
only rows of their communes (the others come back rejected with the reason), and reaches only
contacts and numbers of their communes; any other contact is 404, like one that does not exist.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status

from contracts.alerts import ContactImportReport, UnplacedContact
from contracts.gateway_alerts import ContactExport, OptOutState, PhoneRequest
from services.gateway.roles import CurrentUser
from services.gateway.routers.deps import (
    AlertUser,
    GatewayDep,
    call_as,
    tenant_communes,
    uploaded_file,
)
from services.gateway.rpc import expect
from services.gateway.state import Gateway

router = APIRouter(prefix="/contacts", tags=["contacts"])
ContactId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such contact among yours"},
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
    encoded = base64.b64encode(data).decode("ascii")
    answer = call_as(gateway, user, "import_contacts", encoded, tenant_communes(gateway))
    return expect("alerts", ContactImportReport, answer)


@router.get("/unplaced", response_model=list[UnplacedContact], responses=ERRORS)
def unplaced_contacts(user: AlertUser, gateway: GatewayDep) -> list[UnplacedContact]:
    """Your contacts without a point on the map (address missing or not found in the Base
    Adresse Nationale): campaigns to their commune reach them, a drawn area or flood zone not."""
    answer = call_as(gateway, user, "unplaced_contacts")
    return [expect("alerts", UnplacedContact, item) for item in answer or []]


@router.get("/{contact_id}/export", response_model=ContactExport, responses=ERRORS)
def export_contact(contact_id: ContactId, user: AlertUser, gateway: GatewayDep) -> ContactExport:
    """Everything held about one person (RGPD right of access)."""
    return expect("alerts", ContactExport, call_as(gateway, user, "export_contact", contact_id))


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def erase_contact(contact_id: ContactId, user: AlertUser, gateway: GatewayDep) -> None:
    """RGPD erasure: the person goes, and delivery reports keep the outcome but neither their
    name nor their number."""
    call_as(gateway, user, "erase_contact", contact_id)


def _set_opt_out(
    gateway: Gateway, user: CurrentUser, body: PhoneRequest, opted_out: bool
) -> OptOutState:
    answer = call_as(gateway, user, "set_opt_out", body.phone, opted_out)
    return expect("alerts", OptOutState, answer)


@router.post(
    "/opt-out",
    response_model=OptOutState,
    responses={**ERRORS, 422: {"description": "not a phone number"}},
)
def opt_out(body: PhoneRequest, user: AlertUser, gateway: GatewayDep) -> OptOutState:
    """This number receives no more alerts from this intercommunality. A mayor may change only
    numbers of contacts in their communes (404 otherwise); the change is audited there."""
    return _set_opt_out(gateway, user, body, True)


@router.post(
    "/opt-in",
    response_model=OptOutState,
    responses={**ERRORS, 422: {"description": "not a phone number"}},
)
def opt_in(body: PhoneRequest, user: AlertUser, gateway: GatewayDep) -> OptOutState:
    """Lifts the mairie's opt-out (a STOP sent by SMS is lifted only by the person's START)."""
    return _set_opt_out(gateway, user, body, False)
