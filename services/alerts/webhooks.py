"""Twilio webhooks' URLs: which recipient, notice or welfare call a callback is about. Pure.

The recipient is named in the callback URL's query (tenant, campaign, message, key), which the
provider's signature covers, so no lookup by SID is needed and a callback that overtakes the
sender's own record still lands on the right recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from services.common.events import InvalidMessage


@dataclass(frozen=True)
class RecipientRef:
    tenant: str
    campaign_id: str
    number: int
    key: str


class NotACallbackUrl(ValueError):
    """The URL names neither a campaign recipient nor a notice: nothing of ours to update."""


def recipient_in(query: str) -> RecipientRef | None:
    """The campaign recipient a callback's query names; None for a welfare or family notice's."""
    fields = parse_qs(query)
    if "notice" in fields or "welfare" in fields:
        return None
    try:
        return RecipientRef(
            tenant=fields["tenant"][0],
            campaign_id=fields["campaign"][0],
            number=int(fields["message"][0]),
            key=fields["key"][0],
        )
    except (KeyError, IndexError, ValueError):
        raise NotACallbackUrl(
            "the callback URL names no campaign recipient (tenant, campaign, message, key) "
            "and no notice"
        ) from None


def recipient_from_url(url: str) -> RecipientRef:
    """The recipient named in a callback URL's query (which the signature covers)."""
    try:
        found = recipient_in(urlsplit(url).query)
    except NotACallbackUrl as error:
        raise InvalidMessage(str(error)) from None
    if found is None:
        raise InvalidMessage("the callback URL names a notice, not a campaign recipient")
    return found


def notice_query(url: str) -> tuple[str, str] | None:
    """(tenant, notice key) of a welfare or family notice's status callback URL, None else."""
    query = parse_qs(urlsplit(url).query)
    if "notice" not in query or "tenant" not in query:
        return None
    return query["tenant"][0], query["notice"][0]


def welfare_query(url: str) -> dict[str, list[str]] | None:
    """The query of a welfare call's callback URL (it names `welfare`), None for a campaign's."""
    query = parse_qs(urlsplit(url).query)
    return query if "welfare" in query else None
