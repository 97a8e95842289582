"""Twilio webhooks as the gateway hands them over: check the signature, then apply them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from services.alerts.callbacks import RecipientRef
from services.common.events import InvalidMessage


def recipient_from_url(url: str) -> RecipientRef:
    """The recipient named in a callback URL's query (which the signature covers)."""
    query = parse_qs(urlsplit(url).query)
    try:
        return RecipientRef(
            tenant=query["tenant"][0],
            campaign_id=query["campaign"][0],
            number=int(query["message"][0]),
            key=query["key"][0],
        )
    except (KeyError, IndexError, ValueError):
        raise InvalidMessage("the callback URL does not name a campaign recipient") from None


def welfare_query(url: str) -> dict[str, list[str]] | None:
    """The query of a welfare call's callback URL (it names `welfare`), None for a campaign's."""
    query = parse_qs(urlsplit(url).query)
    return query if "welfare" in query else None
