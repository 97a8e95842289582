"""Contacts: saved and indexed by identity, commune and place; erased with what names them.

Part of `AlertsStore` (services/alerts/store.py), over its connection and keys."""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

from contracts.alerts import Contact
from services.alerts.identity import identity_key, new_contact_id, unite
from services.alerts.keys import receipts_due_key
from services.alerts.stores.base import CHUNK, StoreBase


class ContactStore(StoreBase):
    def save_contacts(self, tenant: str, contacts: Iterable[Contact]) -> int:
        count = 0
        batch: list[Contact] = []
        for contact in contacts:
            batch.append(contact)
            if len(batch) >= CHUNK:
                count += self._save_batch(tenant, batch)
                batch = []
        return count + (self._save_batch(tenant, batch) if batch else 0)

    def contact_ids_for(self, tenant: str, keys: list[str]) -> dict[str, str]:
        """The contact id of each identity key (see `identity`): the known one, else a new
        random one, reserved with HSETNX so that two imports of the same person agree."""
        index = self._k(tenant, "identities")
        self._index_earlier_contacts(tenant)
        found: dict[str, str] = {}
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            known = dict(zip(chunk, self.client.hmget(index, chunk), strict=True))
            missing = [key for key, cid in known.items() if cid is None]
            if missing:
                with self.client.pipeline(transaction=False) as pipe:
                    for key in missing:
                        pipe.hsetnx(index, key, new_contact_id())
                    pipe.execute()
                known.update(zip(missing, self.client.hmget(index, missing), strict=True))
            found.update({key: str(cid) for key, cid in known.items()})
        return found

    def _index_earlier_contacts(self, tenant: str) -> None:
        """Once per tenant: contacts stored before the identity index existed are indexed under
        the ids they have, so that a re-import updates them instead of adding a twin (who would
        get every alert twice)."""
        marker = self._k(tenant, "identities", "built")
        if self.client.exists(marker):
            return
        ids = list(self.all_contact_ids(tenant))
        for start in range(0, len(ids), CHUNK):
            with self.client.pipeline(transaction=False) as pipe:
                for contact in self.contacts(tenant, ids[start : start + CHUNK]):
                    key = identity_key(contact.full_name, contact.commune)
                    pipe.hsetnx(self._k(tenant, "identities"), key, contact.contact_id)
                pipe.execute()
        self.client.set(marker, "1")

    def _save_batch(self, tenant: str, contacts: list[Contact]) -> int:
        # Earlier versions of these contacts: a re-import keeps every number they held, and
        # their old indexes (numbers, commune) are dropped.
        previous = {
            c.contact_id: c for c in self.contacts(tenant, [c.contact_id for c in contacts])
        }
        contacts = [
            unite(previous[c.contact_id], c) if c.contact_id in previous else c for c in contacts
        ]
        with self.client.pipeline(transaction=True) as pipe:
            for old in previous.values():
                self._unindex(pipe, tenant, old)
            for contact in contacts:
                pipe.hset(
                    self._k(tenant, "identities"),
                    identity_key(contact.full_name, contact.commune),
                    contact.contact_id,
                )
                pipe.set(self._k(tenant, "contact", contact.contact_id), contact.model_dump_json())
                pipe.sadd(self._k(tenant, "contacts"), contact.contact_id)
                pipe.sadd(self._k(tenant, "commune", contact.commune), contact.contact_id)
                for phone in contact.phones:
                    pipe.sadd(self._k(tenant, "phone", phone.e164), contact.contact_id)
                if contact.location is not None:
                    pipe.geoadd(
                        self._k(tenant, "geo"),
                        (contact.location.lon, contact.location.lat, contact.contact_id),
                    )
                else:
                    pipe.sadd(self._k(tenant, "unplaced"), contact.contact_id)
            pipe.execute()
        return len(contacts)

    def _unindex(self, pipe: Any, tenant: str, contact: Contact) -> None:
        pipe.srem(self._k(tenant, "commune", contact.commune), contact.contact_id)
        for phone in contact.phones:
            pipe.srem(self._k(tenant, "phone", phone.e164), contact.contact_id)
        pipe.zrem(self._k(tenant, "geo"), contact.contact_id)
        pipe.srem(self._k(tenant, "unplaced"), contact.contact_id)

    def contact(self, tenant: str, contact_id: str) -> Contact | None:
        raw = self.client.get(self._k(tenant, "contact", contact_id))
        return Contact.model_validate_json(raw) if raw else None

    def contacts(self, tenant: str, ids: Iterable[str]) -> list[Contact]:
        keys = [self._k(tenant, "contact", cid) for cid in ids]
        found: list[Contact] = []
        for start in range(0, len(keys), CHUNK):
            for raw in self.client.mget(keys[start : start + CHUNK]):
                if raw:
                    found.append(Contact.model_validate_json(raw))
        return found

    def contact_ids_in_communes(self, tenant: str, communes: Iterable[str]) -> set[str]:
        keys = [self._k(tenant, "commune", code) for code in communes]
        return set(self.client.sunion(keys)) if keys else set()

    def contact_ids_in_box(
        self, tenant: str, west: float, south: float, east: float, north: float
    ) -> list[str]:
        """Contacts placed in (or just around) a lon/lat box, from the GEO index: a cheap first
        cut before the exact point-in-area test."""
        nearest_equator = 0.0 if south <= 0 <= north else min(abs(south), abs(north))
        # Widest where a degree of longitude is longest; 5 % and 100 m of margin.
        width_km = (east - west) * 111.32 * math.cos(math.radians(nearest_equator)) * 1.05 + 0.1
        height_km = (north - south) * 110.57 * 1.05 + 0.1
        found = self.client.geosearch(
            self._k(tenant, "geo"),
            longitude=(west + east) / 2,
            latitude=max(-85.0, min(85.0, (south + north) / 2)),
            width=width_km,
            height=height_km,
            unit="km",
        )
        return [str(cid) for cid in found]

    def unplaced_contact_ids(self, tenant: str) -> set[str]:
        """Contacts without a point on the map (saved since the index exists)."""
        return set(self.client.smembers(self._k(tenant, "unplaced")))

    def all_contact_ids(self, tenant: str) -> Iterator[str]:
        yield from self.client.sscan_iter(self._k(tenant, "contacts"), count=1000)

    def contacts_with_phone(self, tenant: str, e164: str) -> set[str]:
        return set(self.client.smembers(self._k(tenant, "phone", e164)))

    def erase_contact(self, tenant: str, contact_id: str) -> bool:
        contact = self.contact(tenant, contact_id)
        if contact is None:
            return False
        with self.client.pipeline(transaction=True) as pipe:
            self._unindex(pipe, tenant, contact)
            pipe.hdel(
                self._k(tenant, "identities"), identity_key(contact.full_name, contact.commune)
            )
            pipe.delete(self._k(tenant, "contact", contact_id))
            pipe.srem(self._k(tenant, "contacts"), contact_id)
            pipe.delete(self._k(tenant, "contact", contact_id, "history"))
            pipe.execute()
        return True

    def redact_recipients(self, tenant: str, contact: Contact) -> int:
        """Erasure: every recipient state that named this person keeps its outcome (for the
        campaign's report and counts) under a new key, with neither their id nor their number;
        what had not left is cancelled. Returns how many states were redacted."""
        redacted = 0
        for entry in set(self.contact_history(tenant, contact.contact_id)):
            campaign_id, number_text, _channel = entry.rsplit(":", 2)
            number = int(number_text)
            for phone in contact.phones:
                for channel in ("sms", "voice"):
                    key = f"{contact.contact_id}:{phone.e164}:{channel}"
                    if self._redact(tenant, campaign_id, number, key, phone.e164):
                        redacted += 1
        return redacted

    def _redact(self, tenant: str, campaign_id: str, number: int, key: str, e164: str) -> bool:
        old = self._msg(tenant, campaign_id, number, "r", key)
        raw = self.client.get(old)
        if raw is None:
            return False
        if json.loads(raw)["status"] == "pending":
            # Not sent yet: cancelled, so the counts follow; the queue then finds no state.
            self.update_state(tenant, campaign_id, number, key, {"status": "cancelled"})
            raw = self.client.get(old) or raw
        state = json.loads(raw)
        anonymous = f"erased-{secrets.token_hex(6)}"
        state.update(key=anonymous, contact_id="(erased)", e164="")
        if state.get("error"):
            state["error"] = str(state["error"]).replace(e164, "(erased)")
        new = self._msg(tenant, campaign_id, number, "r", anonymous)
        due = receipts_due_key(self.deployment)
        chase_at = self.client.zscore(due, old)  # a receipt still awaited: under the new name
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(new, json.dumps(state))
            pipe.delete(old)
            if chase_at is not None:
                pipe.zrem(due, old)
                pipe.zadd(due, {new: chase_at})
            pipe.lrem(self._msg(tenant, campaign_id, number, "queue"), 0, key)
            pipe.zrem(self._msg(tenant, campaign_id, number, "retry"), key)
            pipe.execute()
        return True

    def contact_history(self, tenant: str, contact_id: str) -> list[str]:
        return list(self.client.lrange(self._k(tenant, "contact", contact_id, "history"), 0, -1))
