"""Feed items in one common shape, and what a new snapshot changes against what is known.

The change detector is what makes feed polling idempotent: a repeated item changes nothing, an
update of a known item is an update (never a second alert), a lowered level or a CAP Cancel ends
it. It is pure: the caller stores the returned state and passes it back with the next snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from contracts.feeds import (
    CapAlert,
    CapInfo,
    DepartmentVigilance,
    FeedLevel,
    KnownLevel,
    Level,
    LevelChange,
    NotConcernedWhy,
    Phenomenon,
    VigicruesReach,
)
from services.alerts.feeds.phenomena import PHENOMENON_LABELS, level_for_cap, phenomenon_for_cap

ACTIVE = 2  # jaune and above concern the population; vert is the quiet state


# --- Sources to FeedLevel -----------------------------------------------------------------------


def levels_from_meteofrance(items: Iterable[DepartmentVigilance]) -> list[FeedLevel]:
    """One level per (domain, phenomenon): the highest colour over the map's periods (J, J1),
    so an orange that moves from tomorrow to today stays the same item."""
    groups: dict[tuple[str, int], list[DepartmentVigilance]] = {}
    for item in items:
        groups.setdefault((item.domain_id, item.phenomenon_id), []).append(item)
    levels = []
    for (domain_id, phenomenon_id), group in groups.items():
        top = max(i.level for i in group)
        at_top = [i for i in group if i.level == top]
        first = group[0]
        updated_at = max(i.updated_at for i in group)
        levels.append(
            FeedLevel(
                source="meteofrance",
                key=f"meteofrance:{domain_id}:{phenomenon_id}",
                level=top,
                phenomenon=first.phenomenon,
                event=PHENOMENON_LABELS[first.phenomenon],
                area_kind="coast" if first.coastal else "department",
                area_ids=(first.department,),
                area_label=(
                    f"littoral du département {first.department}"
                    if first.coastal
                    else f"département {first.department}"
                ),
                valid_from=min(i.valid_from for i in at_top),
                valid_to=max(i.valid_to for i in at_top),
                reference=f"Météo-France, carte de vigilance du {updated_at.isoformat()}",
            )
        )
    return levels


def levels_from_vigicrues(reaches: Iterable[VigicruesReach]) -> list[FeedLevel]:
    return [
        FeedLevel(
            source="vigicrues",
            key=f"vigicrues:{reach.reach_id}",
            level=reach.level,
            phenomenon="crues",
            event=PHENOMENON_LABELS["crues"],
            area_kind="reach",
            area_ids=(reach.reach_id,),
            area_label=reach.name,
            # No validity: each bulletin restates the level; its time would make every bulletin
            # look like an update.
            reference=f"Vigicrues {reach.bulletin or 'InfoVigiCru'}, tronçon {reach.reach_id}",
        )
        for reach in reaches
    ]


def cap_key(sender: str, identifier: str) -> str:
    return f"cap:{sender}:{identifier}"


def cap_not_drafted(alert: CapAlert) -> tuple[NotConcernedWhy, str] | None:
    """Why a CAP message is never drafted, whatever its area: only real, public warnings are."""
    if alert.status != "Actual":
        return (
            "test_or_exercise",
            f"message de statut {alert.status} (test, exercice ou brouillon du producteur)",
        )
    if alert.msg_type in ("Ack", "Error"):
        return ("test_or_exercise", f"message de type {alert.msg_type}, pas une alerte")
    if alert.scope != "Public":
        return ("scope", f"diffusion {alert.scope}, pas au public")
    return None


def levels_from_cap(alert: CapAlert) -> list[FeedLevel]:
    """One level per CAP message (its infos are the same warning in several languages).

    Only real, public warnings count: Test, Exercise, System and Draft messages, Ack/Error
    messages and a Restricted or Private scope give nothing, so a producer's test never reaches
    a mayor (`cap_not_drafted` says why).
    """
    if cap_not_drafted(alert) is not None:
        return []
    key = cap_key(alert.sender, alert.identifier)
    supersedes = tuple(cap_key(r.sender, r.identifier) for r in alert.references)
    info = preferred_info(alert.infos)
    level: Level = 1
    phenomenon: Phenomenon = "autre"
    event = "alerte"
    if info is None:
        if alert.msg_type != "Cancel":
            return []
    else:
        event = info.event
        level = max(level_for_cap(i.severity, _parameters(i)) for i in alert.infos)
        phenomenon = phenomenon_for_cap(info.event, _parameters(info))
    areas = info.areas if info is not None else ()
    codes = tuple(dict.fromkeys(c for a in areas for c in a.insee_codes))
    return [
        FeedLevel(
            source="cap",
            key=key,
            supersedes=supersedes,
            level=1 if alert.msg_type == "Cancel" else level,
            cancelled=alert.msg_type == "Cancel",
            phenomenon=phenomenon,
            event=event,
            area_kind="cap_area",
            area_ids=codes,
            area_label="; ".join(a.description for a in areas if a.description)
            or "zone de l'alerte",
            valid_from=(info.onset or info.effective or alert.sent) if info else alert.sent,
            valid_to=info.expires if info else None,
            reference=f"CAP {alert.sender} {alert.identifier}",
            headline=info.headline if info else None,
            instruction=info.instruction if info else None,
            cap_areas=areas,
            language=info.language if info else None,
        )
    ]


def preferred_info(infos: Sequence[CapInfo]) -> CapInfo | None:
    """The drafts are French: the French text when the producer gives one, else English (the
    language a mayor most likely reads next), else the first."""
    for prefix in ("fr", "en"):
        chosen = [i for i in infos if i.language.lower().startswith(prefix)]
        if chosen:
            return chosen[0]
    return infos[0] if infos else None


def _parameters(info: CapInfo) -> dict[str, str]:
    return {p.name: p.value for p in info.parameters}


# --- Change detection ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotOutcome:
    changes: list[LevelChange]
    state: dict[str, KnownLevel] = field(default_factory=dict)  # to store for the next snapshot


def apply_snapshot(
    known: Mapping[str, KnownLevel], snapshot: Iterable[FeedLevel]
) -> SnapshotOutcome:
    """What `snapshot` raises, updates or ends against `known` (the state of the last call).

    Items absent from the snapshot are left as they are: feeds are often partial, and only an
    explicit lower level or a Cancel ends a warning.
    """
    state = dict(known)
    chains = {alias: key for key, item in state.items() for alias in (key, *item.aliases)}
    changes: list[LevelChange] = []
    for feed in snapshot:
        chain = chains.get(feed.key) or next(
            (chains[s] for s in feed.supersedes if s in chains), None
        )
        if chain is None:
            state[feed.key] = KnownLevel(feed=feed, aliases=(feed.key,))
            chains[feed.key] = feed.key
            if feed.level >= ACTIVE and not feed.cancelled:
                changes.append(LevelChange(kind="raised", key=feed.key, feed=feed))
            continue
        prior = state[chain]
        if feed.key in prior.aliases and feed.key != prior.feed.key:
            continue  # an older message of the chain arriving late: the newer one stands
        if feed.cancelled:
            # A Cancel often carries no <info>: what it ends is what the chain said before.
            feed = prior.feed.model_copy(
                update={
                    "key": feed.key,
                    "supersedes": feed.supersedes,
                    "level": 1,
                    "cancelled": True,
                    "reference": feed.reference,
                }
            )
        kind = _compare(prior.feed, feed)
        state[chain] = KnownLevel(
            feed=feed, aliases=tuple(dict.fromkeys((*prior.aliases, feed.key)))
        )
        chains[feed.key] = chain
        if kind is not None:
            changes.append(
                LevelChange(kind=kind, key=chain, previous_level=_effective(prior.feed), feed=feed)
            )
    return SnapshotOutcome(changes=changes, state=state)


def _effective(feed: FeedLevel) -> Level:
    return 1 if feed.cancelled else feed.level


def _compare(before: FeedLevel, after: FeedLevel) -> Literal["raised", "updated", "ended"] | None:
    was, now = _effective(before), _effective(after)
    if now > was and now >= ACTIVE:
        return "raised"
    if now < was:
        return "ended" if was >= ACTIVE else None
    if now >= ACTIVE and _substance(before) != _substance(after):
        return "updated"
    return None


def _substance(feed: FeedLevel) -> tuple[object, ...]:
    # What a person would see change in the draft; not the bulletin's reference or timestamp.
    return (
        feed.level,
        feed.valid_from,
        feed.valid_to,
        feed.headline,
        feed.instruction,
        feed.area_ids,
        feed.area_label,
    )
