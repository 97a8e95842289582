"""French campaign drafts from vigilance level changes, for a mayor to approve. Sends nothing.

The SMS wording avoids the letters that force UCS-2 (ê, â, î, ô, û, ç, typographic quotes) so a
draft usually fits GSM-7; commune and river names are kept as they are spelt. The voice script is
plain sentences for `<Say language="fr-FR">`: no abbreviations, times spelt as spoken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from contracts.feeds import CampaignDraft, DraftSeverity, FeedLevel, Level, LevelChange, Phenomenon
from services.alerts.feeds.phenomena import LEVEL_COLOURS, PHENOMENON_LABELS

_ZONE = ZoneInfo("Europe/Paris")
_SEVERITY: dict[Level, DraftSeverity] = {
    1: "information",
    2: "information",
    3: "warning",
    4: "emergency",
}
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
DraftKind = Literal["alert", "update", "end"]
_WHERE_TO_READ = {"meteofrance": "vigilance.meteofrance.fr", "vigicrues": "vigicrues.gouv.fr"}


@dataclass(frozen=True)
class Advice:
    sms: str  # one or two short sentences, GSM-7 friendly
    voice: str  # the same and more, for a call


ADVICE: dict[Phenomenon, Advice] = {
    "crues": Advice(
        "Ne vous engagez pas sur une route inondée, à pied ou en voiture. Éloignez-vous des "
        "cours d'eau.",
        "Ne vous engagez jamais sur une route inondée, ni à pied, ni en voiture. Éloignez-vous "
        "des berges et des ponts. Mettez vos papiers et vos biens de valeur à l'abri, en hauteur. "
        "Ne descendez pas dans les sous-sols.",
    ),
    "vagues_submersion": Advice(
        "Restez loin du littoral, des digues et des jetées. Ne prenez pas la mer.",
        "Éloignez-vous du bord de mer, des digues et des jetées, et ne prenez pas la mer. "
        "Protégez les ouvertures de votre logement exposées aux vagues. Si les autorités le "
        "demandent, quittez les zones basses du littoral.",
    ),
    "vent_violent": Advice(
        "Limitez vos déplacements. Rangez ou fixez les objets qui peuvent s'envoler. "
        "N'allez pas dans les bois.",
        "Limitez vos déplacements et n'allez pas en forêt. Rangez ou attachez tout ce qui peut "
        "être emporté par le vent. Ne touchez jamais un fil électrique tombé au sol.",
    ),
    "orages": Advice(
        "Mettez-vous à l'abri dans un lieu fermé, loin des arbres. Évitez les déplacements.",
        "Mettez-vous à l'abri dans un bâtiment, jamais sous un arbre. Évitez les déplacements "
        "et les activités en plein air. Débranchez les appareils électriques sensibles. Ne vous "
        "engagez pas sur une route inondée.",
    ),
    "pluie_inondation": Advice(
        "Évitez les déplacements. Ne vous engagez pas sur une route inondée, à pied ou en voiture.",
        "Évitez les déplacements. Ne vous engagez jamais sur une route inondée, ni à pied, ni en "
        "voiture. Ne descendez pas dans les sous-sols. Mettez vos biens à l'abri, en hauteur.",
    ),
    "neige_verglas": Advice(
        "Limitez vos déplacements et renseignez-vous sur l'état des routes avant de partir.",
        "Limitez vos déplacements et renseignez-vous sur l'état des routes. Si vous devez "
        "partir, prévoyez de l'eau, une couverture et un téléphone chargé. Dégagez la neige "
        "devant chez vous.",
    ),
    "canicule": Advice(
        "Buvez de l'eau souvent, restez au frais et prenez des nouvelles des personnes isolées.",
        "Buvez de l'eau régulièrement sans attendre d'avoir soif. Restez au frais, fermez les "
        "volets le jour. Évitez les efforts aux heures chaudes. Prenez des nouvelles des "
        "personnes âgées ou isolées autour de vous.",
    ),
    "grand_froid": Advice(
        "Limitez les sorties, couvrez-vous bien et prenez des nouvelles des personnes isolées.",
        "Limitez les sorties et couvrez-vous bien. N'utilisez jamais un chauffage d'appoint à "
        "combustion en continu, ni un groupe électrogène à l'intérieur. Prenez des nouvelles des "
        "personnes âgées ou isolées autour de vous.",
    ),
    "avalanches": Advice(
        "Ne sortez pas des pistes ouvertes et respectez les fermetures de routes.",
        "Ne vous aventurez pas hors des pistes ouvertes. Respectez les fermetures de routes et "
        "de sentiers. Renseignez-vous auprès de la mairie avant tout déplacement en montagne.",
    ),
    "autre": Advice(
        "Suivez les consignes des autorités et restez informés.",
        "Suivez les consignes des autorités et restez à l'écoute de la radio locale.",
    ),
}


def draft_key(change: LevelChange, commune_code: str) -> str:
    """Source item + commune: every change of the same item lands on the same draft."""
    return f"{change.key}|{commune_code}"


def draft_campaign(change: LevelChange, commune_code: str, commune_name: str) -> CampaignDraft:
    """The French draft for the mayor of `commune_name` concerned by `change`."""
    feed = change.feed
    kind = _kind(change)
    colour = LEVEL_COLOURS[feed.level]
    label = _label(feed)
    return CampaignDraft(
        draft_key=draft_key(change, commune_code),
        kind=kind,
        commune_code=commune_code,
        commune_name=commune_name,
        source=feed.source,
        reference=feed.reference,
        phenomenon=feed.phenomenon,
        level=feed.level,
        severity=_SEVERITY[feed.level] if not feed.cancelled else "information",
        title=_title(kind, feed, colour, label, commune_name),
        sms_body=_sms(kind, feed, colour, label, commune_name),
        voice_script=_voice(kind, feed, colour, label, commune_name),
        valid_from=feed.valid_from,
        valid_to=feed.valid_to,
        source_language=None if _is_french(feed) else feed.language,
    )


def _kind(change: LevelChange) -> DraftKind:
    if change.kind == "ended":
        return "end"
    if change.kind == "raised" and (change.previous_level or 1) < 2:
        return "alert"
    return "update"  # a rise from jaune to orange follows the campaign already drafted


def _is_french(feed: FeedLevel) -> bool:
    return feed.language is None or feed.language.lower().startswith("fr")


def _label(feed: FeedLevel) -> str:
    # A foreign event name is never pasted into a French message: "événement" says as much.
    if feed.phenomenon == "autre" and _is_french(feed):
        return feed.event
    return PHENOMENON_LABELS[feed.phenomenon]


_LANGUAGE_NAMES = {
    "en": "anglais", "de": "allemand", "nl": "néerlandais", "es": "espagnol", "it": "italien",
    "ca": "catalan", "pt": "portugais", "lb": "luxembourgeois",
}  # fmt: skip


def _source_note(feed: FeedLevel) -> str:
    """ " (source en anglais)" when the source was not in French, so the mayor knows."""
    if _is_french(feed) or feed.language is None:
        return ""
    code = feed.language.split("-")[0].lower()
    return f" (source en {_LANGUAGE_NAMES.get(code, feed.language)})"


def _word(feed: FeedLevel) -> str:
    # "Vigilance" is the French map's own term; a CAP message is some authority's alert.
    return "Alerte" if feed.source == "cap" else "Vigilance"


def _still_active(feed: FeedLevel) -> bool:
    return not feed.cancelled and feed.level >= 2


def _title(kind: DraftKind, feed: FeedLevel, colour: str, label: str, commune: str) -> str:
    note = _source_note(feed)
    if kind == "end":
        if _still_active(feed):
            return f"Vigilance {label} abaissée au {colour} – {commune}{note}"
        return f"Fin de vigilance {label} – {commune}{note}"
    prefix = "Mise à jour : " if kind == "update" else ""
    return f"{prefix}{_word(feed)} {colour} {label} – {commune}{note}"


def _sms(kind: DraftKind, feed: FeedLevel, colour: str, label: str, commune: str) -> str:
    head = f"Mairie {_of(commune)}"
    if kind == "end":
        if _still_active(feed):
            body = f"La vigilance {label} passe au {colour}. Restez prudents."
        else:
            body = f"Fin de la vigilance {label}. Restez prudents lors de vos déplacements."
        return f"{head} - {body}"
    until = f" jusqu'au {_short_time(feed.valid_to)}" if feed.valid_to else ""
    update = "Mise à jour: " if kind == "update" else ""
    parts = [
        f"{head} - {update}{_word(feed)} {colour.upper()} {label}{until}.",
        ADVICE[feed.phenomenon].sms,
    ]
    if feed.source in _WHERE_TO_READ:
        parts.append(f"Infos: {_WHERE_TO_READ[feed.source]}")
    return " ".join(parts)


def _voice(kind: DraftKind, feed: FeedLevel, colour: str, label: str, commune: str) -> str:
    opening = f"Ceci est un message de la mairie {_of(commune)}."
    if kind == "end":
        if _still_active(feed):
            news = f"La vigilance {label} est abaissée au niveau {colour}. Restez prudents."
        else:
            news = (
                f"La vigilance {label} est terminée. Restez prudents : des dégâts peuvent "
                "subsister."
            )
        return f"{opening} {news} Merci de votre attention."
    until = f", jusqu'au {_spoken_time(feed.valid_to)}" if feed.valid_to else ""
    update = "Mise à jour de l'alerte. " if kind == "update" else ""
    sentences = [
        opening,
        f"{update}{_spoken_source(feed, colour, label)}{until}.",
        ADVICE[feed.phenomenon].voice,
    ]
    if feed.source == "cap" and feed.headline and _is_french(feed):
        sentences.insert(2, f"Message des autorités : {feed.headline}.")
    sentences.append("Pour toute question, contactez la mairie. Merci de votre attention.")
    return " ".join(sentences)


def _spoken_source(feed: FeedLevel, colour: str, label: str) -> str:
    if feed.source == "meteofrance":
        place = "le littoral du département" if feed.area_kind == "coast" else "le département"
        return f"Météo France place {place} en vigilance {colour} {label}"
    if feed.source == "vigicrues":
        return f"Vigicrues place le tronçon {feed.area_label} en vigilance {colour} crues"
    return f"Les autorités ont émis une alerte de niveau {colour} : {label}"


def _of(commune: str) -> str:
    """ "de" with the commune's name as French writes it: d'Armentières, du Quesnoy, des Moëres."""
    if commune.startswith("Le "):
        return f"du {commune[3:]}"
    if commune.startswith("Les "):
        return f"des {commune[4:]}"
    if commune[:1].upper() in "AEIOUYÉÈÊÂÎÔ":  # not before h: aspirated or not, names differ
        return f"d'{commune}"
    return f"de {commune}"


def _local(moment: datetime) -> datetime:
    return moment.astimezone(_ZONE)


def _short_time(moment: datetime) -> str:
    local = _local(moment)
    hour = f"{local.hour}h" + (f"{local.minute:02d}" if local.minute else "")
    return f"{local:%d/%m} à {hour}"


def _spoken_time(moment: datetime) -> str:
    local = _local(moment)
    day = "1er" if local.day == 1 else str(local.day)
    hour = f"{local.hour} heures" + (f" {local.minute}" if local.minute else "")
    if local.hour == 0 and not local.minute:
        hour = "minuit"
    elif local.hour == 12 and not local.minute:
        hour = "midi"
    return f"{_DAYS[local.weekday()]} {day} {_MONTHS[local.month - 1]} à {hour}"
