"""Who reaches which alerts object: campaigns, contacts, numbers, audit entries. Pure.

A campaign belongs to the communes it covers: those it names, and, for an area (a drawn polygon
or a river reach), those of the people inside it. A mayor reaches an object only when every
commune it belongs to is theirs; an object of no commune belongs to the tenant, reached by
tenant-wide roles only (see `contracts.identity.Caller`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contracts.alerts import Campaign, Contact
from contracts.identity import Caller
from services.common.errors import Forbidden


def covered_communes(
    named: Iterable[str], people_in_area: Iterable[Contact], under_area: Iterable[str] = ()
) -> tuple[str, ...]:
    """The communes a campaign target covers: the ones it names, those whose boundaries its area
    meets (`under_area`, when the tenant's boundaries are stored), and those of the people placed
    inside it (a contact's commune counts even where no boundary is known)."""
    return tuple(
        sorted(set(named) | set(under_area) | {person.commune for person in people_in_area})
    )


def campaign_communes(campaign: Campaign) -> frozenset[str]:
    # Campaigns stored before `communes` existed still belong to the communes they name.
    return frozenset(campaign.communes) | frozenset(campaign.request.target.communes)


def reaches_campaign(caller: Caller, campaign: Campaign) -> bool:
    return caller.reaches_communes(campaign_communes(campaign))


def check_may_create(caller: Caller, covered: Iterable[str]) -> None:
    """A mayor drafts only a campaign whose every covered commune is theirs (403 naming them)."""
    codes = sorted(set(covered))
    if caller.reaches_communes(codes):
        return
    if not codes:
        raise Forbidden(
            "the target covers no commune (nobody known lives inside the area): "
            "only the intercommunality (dispatcher, admin) may send it"
        )
    outside = [code for code in codes if not caller.reaches_commune(code)]
    raise Forbidden(f"the target covers commune(s) {', '.join(outside)}, which are not yours")


def entry_communes(entry: Mapping[str, Any], campaigns: Mapping[str, frozenset[str]]) -> set[str]:
    """The communes an audit entry concerns: those it records, else its campaign's."""
    detail = entry.get("detail") or {}
    recorded = detail.get("communes")
    if isinstance(recorded, list):
        return {str(code) for code in recorded}
    campaign_id = detail.get("campaign")
    return set(campaigns.get(str(campaign_id), frozenset())) if campaign_id else set()


def sees_entry(caller: Caller, communes: set[str]) -> bool:
    """Tenant-wide roles see every entry; a mayor those concerning one of their communes.

    Not "their own actions": a mayor's refused attempt on another commune's object is that
    commune's business, and showing it to them would tell that the object exists.
    """
    return caller.tenant_wide or any(caller.reaches_commune(code) for code in communes)
