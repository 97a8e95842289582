"""Contacts stored before the identity index (hashed ids) are found again by a re-import."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.alerts import Contact, ContactPhone
from contracts.identity import Caller
from contracts.users import Role
from services.alerts.contact_ops import import_contacts
from services.alerts.store import AlertsStore

pytestmark = pytest.mark.integration
DISPATCHER = Caller(username="dispatcher", role=Role.DISPATCHER)


def test_a_contact_stored_before_the_index_is_updated_not_doubled(
    store: AlertsStore, tenant: str
) -> None:
    earlier = Contact(
        contact_id="c-0123456789abcdef",  # a hashed id, as imports wrote them before
        full_name="Paul Roux",
        phones=(ContactPhone(e164="+33655443322", kind="mobile"),),
        commune="59350",
        consent_date=date(2024, 1, 1),
        consent_source="import mairie",
    )
    store.save_contacts(tenant, [earlier])
    store.client.delete(store._k(tenant, "identities"), store._k(tenant, "identities", "built"))
    data = "nom;prenom;tel;commune;consentement\nRoux;Paul;07 55 44 33 22;59350;01/06/2025\n"

    report = import_contacts(store, tenant, DISPATCHER, data.encode(), {"59350": "Lille"})

    assert report.rows[0].contact_id == "c-0123456789abcdef"
    assert list(store.all_contact_ids(tenant)) == ["c-0123456789abcdef"]
    stored = store.contact(tenant, "c-0123456789abcdef")
    assert stored is not None
    assert {p.e164 for p in stored.phones} == {"+33655443322", "+33755443322"}
