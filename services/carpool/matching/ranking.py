"""Ranking of feasible insertions, and the French sentence that explains each one."""

from __future__ import annotations

from dataclasses import dataclass

# Weights of the score (seconds-equivalent): a minute of walking costs more than a minute of
# detour to the driver, waiting a little less.
DETOUR_WEIGHT = 1.0
WAIT_WEIGHT = 0.5
WALK_WEIGHT = 1.5


def score(detour_s: float, wait_s: float, walk_s: float) -> float:
    return DETOUR_WEIGHT * detour_s + WAIT_WEIGHT * wait_s + WALK_WEIGHT * walk_s


def clock_fr(seconds: float) -> str:
    """8 h 40, as written in French."""
    minutes = round(seconds / 60)
    return f"{minutes // 60 % 24} h {minutes % 60:02d}"


def hhmm(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Explained:
    pickup_time_s: float
    pickup_label: str  # "l'aire de covoiturage de Méteren", "votre adresse"
    detour_s: float
    walk_m: float


def reason_fr(item: Explained) -> str:
    """« départ 8 h 40 à l'aire de covoiturage de Méteren, 6 min de détour »"""
    detour_min = round(item.detour_s / 60)
    parts = [f"départ {clock_fr(item.pickup_time_s)} {_at(item.pickup_label)}"]
    parts.append("sans détour" if detour_min == 0 else f"{detour_min} min de détour")
    if item.walk_m >= 50:
        parts.append(f"{int(round(item.walk_m / 10) * 10)} m à pied")
    return ", ".join(parts)


def _at(label: str) -> str:
    label = label.strip() or "votre point de départ"
    if label.startswith(("à ", "au ", "aux ", "devant ")):
        return label
    return f"à {label}" if not label.lower().startswith("le ") else f"au {label[3:]}"


def place_label(name: str, kind: str, commune: str) -> str:
    """How a meeting place is said in a sentence: l'aire de covoiturage de Méteren (Bourg-Nord)."""
    kind_l = kind.strip().lower()
    where = commune.strip().title() if commune.strip() else ""
    if kind_l.startswith("aire"):
        head = f"l'aire de covoiturage de {where}" if where else "l'aire de covoiturage"
    elif kind_l.startswith("parking"):
        head = f"le parking de {where}" if where else "le parking"
    else:
        head = ""
    if not head:
        return name
    return f"{head} ({name})" if name and where and name.lower() != where.lower() else head
