"""Who a contact is: the same person across imports, under an id that tells nothing. Pure.

A contact id is random: it carries no name or commune, so nobody can test whether a named person
is on a commune's list by computing an id. A re-import of the same person must still update the
same contact: the service keeps an index from each person's identity key to their id.

Names are compared as people read them: after Unicode NFKC (full-width or ligature letters become
the plain ones), case folding and folded spaces. Nothing else is dropped, so two names written
only in emoji stay two people.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable, Mapping

from contracts.alerts import Contact


def comparable_name(full_name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", full_name).casefold().split())


def identity_key(full_name: str, commune: str) -> str:
    """The same person in the same commune has one key across files, spellings and widths.

    A digest, so that the index holds no readable name besides the contact itself.
    """
    return hashlib.sha256(f"{commune}|{comparable_name(full_name)}".encode()).hexdigest()


def new_contact_id() -> str:
    return f"c-{secrets.token_hex(8)}"


def fresh_ids(keys: Iterable[str]) -> Mapping[str, str]:
    """Ids for people nobody knew yet (the store answers with the known ones first)."""
    return {key: new_contact_id() for key in keys}


def unite(earlier: Contact, later: Contact) -> Contact:
    """The later record of the same person, keeping every number either record held."""
    phones = {p.e164: p for p in (*earlier.phones, *later.phones)}
    return later.model_copy(
        update={"contact_id": earlier.contact_id, "phones": tuple(phones.values())}
    )
