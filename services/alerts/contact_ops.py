"""Contact use cases with ownership: import, RGPD export and erasure, opt-out and opt-in, and the
audit trail and escalations as a caller may see them.

A contact that is not the caller's answers exactly like one that does not exist (NotFound), and
the refusal is audited under the contact's commune. Audit entries record the communes they
concern, never a phone number: the trail keeps that an action happened, not the person's number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from contracts.alerts import Contact, ContactImportReport, UnplacedContact
from contracts.escalations import Escalation
from contracts.identity import Caller
from services.alerts.addresses import AddressBook, AddressFileError
from services.alerts.contact_placing import place_contacts
from services.alerts.contacts_csv import CommuneDirectory, CsvError, read_contacts
from services.alerts.ownership import campaign_communes, entry_communes, sees_entry
from services.alerts.phones import PhoneError, parse_phone
from services.alerts.store import AlertsStore
from services.common.errors import NotFound
from services.common.events import InvalidMessage

# A mayor's trail is filtered from the newest entries; read at most this many to fill it.
AUDIT_SCAN_LIMIT = 5000
# The address books (by department) holding the given communes' addresses; see address_files.
AddressBooks = Callable[[set[str]], Mapping[str, AddressBook]]


def import_contacts(
    store: AlertsStore,
    tenant: str,
    caller: Caller,
    data: bytes,
    communes: dict[str, str],
    address_books: AddressBooks | None = None,
) -> ContactImportReport:
    """Rows of the communes the caller reaches; a known person keeps their contact id. Each
    contact is placed from its address in `address_books` (the report lists those that could
    not be)."""
    theirs = {code: name for code, name in communes.items() if caller.reaches_commune(code)}
    others = {code: name for code, name in communes.items() if code not in theirs}
    try:
        contacts, report = read_contacts(
            data,
            CommuneDirectory(theirs, others),
            assign_ids=lambda keys: store.contact_ids_for(tenant, keys),
        )
    except (ValueError, CsvError) as error:
        raise InvalidMessage(f"the file cannot be read: {error}") from None
    try:
        books = address_books({c.commune for c in contacts}) if address_books else {}
    except (AddressFileError, OSError, UnicodeDecodeError) as error:
        # The intercommunality's file, not the mairie's: the service's setup to mend.
        raise InvalidMessage(f"the Base Adresse Nationale file cannot be read: {error}") from None
    earlier = {c.contact_id: c for c in store.contacts(tenant, [c.contact_id for c in contacts])}
    contacts, unplaced = place_contacts(contacts, books, earlier)
    placements = {c.contact_id: c.placement for c in contacts}
    report = report.model_copy(
        update={
            "rows": tuple(
                r.model_copy(update={"placement": placements.get(r.contact_id)})
                if r.contact_id
                else r
                for r in report.rows
            ),
            "placed": sum(c.location is not None for c in contacts),
            "unplaced": tuple(unplaced),
        }
    )
    store.save_contacts(tenant, contacts)
    store.audit(
        tenant,
        caller.username,
        "contacts_imported",
        imported=report.imported,
        rejected=report.rejected,
        communes=sorted({c.commune for c in contacts}),
    )
    return report


def unplaced_contacts(store: AlertsStore, tenant: str, caller: Caller) -> list[UnplacedContact]:
    """The caller's contacts without a point on the map, for the mairie to fix their address."""
    found = [
        UnplacedContact(
            contact_id=c.contact_id,
            full_name=c.full_name,
            commune=c.commune,
            address=c.address,
            why="no address in the file" if not c.address.strip() else "address not placed",
        )
        for c in store.contacts(tenant, sorted(store.unplaced_contact_ids(tenant)))
        if caller.reaches_commune(c.commune)
    ]
    return sorted(found, key=lambda u: (u.commune, u.full_name))


def owned_contact(
    store: AlertsStore, tenant: str, caller: Caller, contact_id: str, attempted: str
) -> Contact:
    contact = store.contact(tenant, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    if not caller.reaches_commune(contact.commune):
        store.audit(
            tenant,
            caller.username,
            "refused",
            attempted=attempted,
            contact=contact_id,
            communes=[contact.commune],
        )
        raise NotFound(f"no contact {contact_id}")
    return contact


def export_contact(
    store: AlertsStore, tenant: str, caller: Caller, contact_id: str
) -> dict[str, Any]:
    """Everything we hold about one person (RGPD access request)."""
    contact = owned_contact(store, tenant, caller, contact_id, "export")
    optouts = store.opted_out(tenant)
    store.audit(
        tenant, caller.username, "contact_exported", contact=contact_id, communes=[contact.commune]
    )
    return {
        "contact": contact.model_dump(mode="json"),
        "opted_out_numbers": sorted(p.e164 for p in contact.phones if p.e164 in optouts),
        "messages": store.contact_history(tenant, contact_id),
    }


def erase_contact(store: AlertsStore, tenant: str, caller: Caller, contact_id: str) -> None:
    """RGPD erasure: the person, their indexes and their history go, and every delivery report
    that named them keeps the outcome but neither their name nor their number."""
    contact = owned_contact(store, tenant, caller, contact_id, "erase")
    store.redact_recipients(tenant, contact)
    store.erase_contact(tenant, contact_id)
    store.audit(
        tenant, caller.username, "contact_erased", contact=contact_id, communes=[contact.commune]
    )


def set_opt_out(
    store: AlertsStore, tenant: str, caller: Caller, phone: str, opted_out: bool
) -> dict[str, Any]:
    """A mayor changes only numbers of contacts in their communes; the change is audited under
    the communes of the contacts holding that number (by contact, not by number)."""
    try:
        e164 = parse_phone(phone).e164
    except PhoneError as error:
        raise InvalidMessage(str(error)) from None
    holders = store.contacts(tenant, sorted(store.contacts_with_phone(tenant, e164)))
    mine = [c for c in holders if caller.reaches_commune(c.commune)]
    if not caller.tenant_wide and not mine:
        if holders:
            store.audit(
                tenant,
                caller.username,
                "refused",
                attempted="opt_out" if opted_out else "opt_in",
                contacts=sorted(c.contact_id for c in holders),
                communes=sorted({c.commune for c in holders}),
            )
        # Same answer whether the number is unknown or another commune's: nothing leaks.
        raise NotFound("no contact of your communes has this number")
    if opted_out:
        store.set_opt_out(tenant, e164, f"request via {caller.username}")
    else:
        store.clear_opt_out(tenant, e164)
    store.audit(
        tenant,
        caller.username,
        "opt_out" if opted_out else "opt_in",
        contacts=sorted(c.contact_id for c in holders),
        communes=sorted({c.commune for c in holders}),
    )
    return {"phone": e164, "opted_out": opted_out}


def audit_trail(
    store: AlertsStore, tenant: str, caller: Caller, count: int
) -> list[dict[str, Any]]:
    """Newest first: everything for the tenant-wide roles; for a mayor, what concerns their
    communes (whoever acted: a dispatcher, the system, another mayor refused)."""
    if caller.tenant_wide:
        return store.audit_trail(tenant, count)
    campaigns = {c.campaign_id: campaign_communes(c) for c in store.campaigns(tenant, 1000)}
    return [
        entry
        for entry in store.audit_trail(tenant, AUDIT_SCAN_LIMIT)
        if sees_entry(caller, entry_communes(entry, campaigns))
    ][:count]


def escalations(store: AlertsStore, tenant: str, caller: Caller) -> list[Escalation]:
    return [e for e in store.escalations(tenant) if caller.reaches_commune(e.commune)]
