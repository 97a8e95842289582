"""Pure: a senior's profile, pauses, delivery days, and who may see the senior."""

from __future__ import annotations

import datetime as dt

from contracts.identity import Caller
from contracts.meals import WEEKDAYS, FamilyLink, Pause, Senior, SeniorIn
from contracts.meals_events import FamilyNotice
from contracts.users import Role

WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def replaced(current: Senior | None, profile: SeniorIn) -> Senior:
    """A profile registered again keeps its pauses and linked families."""
    if current is None:
        return Senior.model_validate(profile.model_dump())
    return Senior.model_validate(
        {**profile.model_dump(), "pauses": current.pauses, "families": current.families}
    )


def with_pause(senior: Senior, pause: Pause) -> Senior:
    """Add a pause, or extend (or shorten) the one that starts the same day."""
    others = tuple(p for p in senior.pauses if p.start != pause.start)
    for other in others:
        if other.start <= pause.end and pause.start <= other.end:
            raise ValueError(
                f"the pause {pause.start}–{pause.end} overlaps the one "
                f"{other.start}–{other.end}: extend that one instead"
            )
    pauses = tuple(sorted((*others, pause), key=lambda p: p.start))
    return senior.model_copy(update={"pauses": pauses})


def pause_on(senior: Senior, day: dt.date) -> Pause | None:
    """The pause covering `day`; a pause over is simply past: deliveries resume by themselves."""
    return next((p for p in senior.pauses if p.start <= day <= p.end), None)


def delivered_on(senior: Senior, day: dt.date) -> bool:
    return WEEKDAYS[day.weekday()] in senior.weekdays


def why_no_delivery(senior: Senior, day: dt.date) -> str | None:
    """Why `senior` gets no meal on `day` (not a delivery day, paused), or None."""
    if not delivered_on(senior, day):
        return f"{senior.full_name} is not delivered on {WEEKDAY_NAMES[day.weekday()]}s"
    pause = pause_on(senior, day)
    if pause is not None:
        why = f" ({pause.reason})" if pause.reason else ""
        return f"deliveries to {senior.full_name} are paused from {pause.start} to {pause.end}{why}"
    return None


def reaches(caller: Caller, senior: Senior) -> bool:
    """Dispatchers and admins reach every senior; a family only those linked to it; a mayor
    those of their communes. Nobody else (a driver sees stops on their round, not profiles)."""
    if caller.tenant_wide:
        return True
    if caller.role is Role.FAMILY:
        return caller.username in senior.family_usernames
    if caller.role is Role.MAYOR:
        return caller.reaches_commune(senior.commune)
    return False


def linked(senior: Senior, link: FamilyLink) -> Senior:
    """Link a family account (again: its phone and opt-in are replaced)."""
    others = [f for f in senior.families if f.username != link.username]
    families = tuple(sorted((*others, link), key=lambda f: f.username))
    return senior.model_copy(update={"families": families})


def unlinked(senior: Senior, username: str) -> Senior:
    families = tuple(f for f in senior.families if f.username != username)
    return senior.model_copy(update={"families": families})


def notices(senior: Senior) -> tuple[FamilyNotice, ...]:
    """The families who asked for SMS about the delivery."""
    return tuple(
        FamilyNotice(username=f.username, phone=f.phone)
        for f in senior.families
        if f.notify and f.phone
    )
