"""Contacts placed on the map from their address, with the quality of the match. Pure.

A mairie's file has addresses, not coordinates: each contact's address is looked up in its
department's Base Adresse Nationale book (see `addresses`). Coordinates given in the file win.
A contact that cannot be placed keeps no point (a guessed one, such as its commune's centre,
would put people inside flood zones they are not in): it is listed for the mairie to fix, and
campaigns to its commune still reach it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from contracts.alerts import Contact, GeoPoint, UnplacedContact
from services.alerts.addresses import AddressBook, place
from services.alerts.addresses import Placement as AddressPoint


def department_of(commune: str) -> str:
    """The department of an INSEE commune code: 59043 → 59, 2A004 → 2A, 97411 → 974."""
    return commune[:3] if commune.startswith("97") else commune[:2]


def departments_of(communes: Iterable[str]) -> set[str]:
    return {department_of(code) for code in communes}


def place_contacts(
    contacts: Iterable[Contact],
    books: Mapping[str, AddressBook],
    earlier: Mapping[str, Contact] | None = None,
) -> tuple[list[Contact], list[UnplacedContact]]:
    """Each contact with its point and `placement`; and those left without a point, and why.
    `books`: the address books at hand, by department; `earlier`: the stored records of these
    contacts by id, whose point holds when the address is unchanged and no book places it (a
    re-import where no address file is at hand)."""
    placed: list[Contact] = []
    unplaced: list[UnplacedContact] = []
    for contact in contacts:
        if contact.location is not None:
            placed.append(contact.model_copy(update={"placement": "given"}))
            continue
        found, why = _locate(contact, books)
        before = (earlier or {}).get(contact.contact_id)
        if found is None and before is not None and _same_place(before, contact):
            placed.append(
                contact.model_copy(
                    update={
                        "location": before.location,
                        "placement": before.placement,
                        "placed_from": before.placed_from,
                    }
                )
            )
            continue
        if found is None:
            placed.append(contact.model_copy(update={"placement": "commune", "placed_from": ""}))
            unplaced.append(
                UnplacedContact(
                    contact_id=contact.contact_id,
                    full_name=contact.full_name,
                    commune=contact.commune,
                    address=contact.address,
                    why=why,
                )
            )
            continue
        placed.append(
            contact.model_copy(
                update={
                    "location": GeoPoint(lat=found.lat, lon=found.lon),
                    "placement": found.quality,
                    "placed_from": found.matched[:300],
                }
            )
        )
    return placed, unplaced


def _same_place(before: Contact, now: Contact) -> bool:
    return (
        before.location is not None
        and before.address == now.address
        and before.commune == now.commune
    )


def _locate(contact: Contact, books: Mapping[str, AddressBook]) -> tuple[AddressPoint | None, str]:
    if not contact.address.strip():
        return None, "no address in the file"
    department = department_of(contact.commune)
    book = books.get(department)
    if book is None:
        return None, f"no Base Adresse Nationale file for department {department}"
    found = place(book, contact.address, contact.commune)
    if found is None:
        return None, "address not found in the Base Adresse Nationale (number and street?)"
    return found, ""
