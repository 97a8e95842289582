"""Small feed documents made for the cases ../shared/data/ has no real document of.

Each builder writes a valid CAP 1.2 message (or an EDXL-DE envelope, or MeteoAlarm's JSON form)
with only what the case needs; a test changes one thing at a time through the arguments.
Coordinates around Flandre Intérieure: Bailleul (59043), Steenvoorde (59580), Méteren (59401).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
EDXL_DE = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
SENT = "2026-11-30T06:00:00+01:00"
EXPIRES = "2026-12-01T06:00:00+01:00"


@dataclass(frozen=True)
class Area:
    description: str = "Flandre"
    polygons: Sequence[str] = ()  # "lat,lon lat,lon ..." as CAP writes them
    circles: Sequence[str] = ()  # "lat,lon radius_km"
    geocodes: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Info:
    language: str = "fr-FR"
    event: str = "Vent violent"
    severity: str = "Severe"
    headline: str | None = "Vent violent sur la Flandre"
    parameters: Sequence[tuple[str, str]] = ()
    areas: Sequence[Area] = field(default_factory=lambda: (Area(geocodes=(("INSEE", "59043"),)),))


def cap(
    *infos: Info,
    identifier: str = "made-1",
    sender: str = "made@bocage.test",
    status: str = "Actual",
    msg_type: str = "Alert",
    scope: str = "Public",
    references: str | None = None,
    declaration: bool = True,
) -> str:
    infos = infos or (Info(),)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if declaration else ""
    refs = f"<references>{escape(references)}</references>" if references else ""
    restriction = "<restriction>services de secours</restriction>" if scope == "Restricted" else ""
    addresses = "<addresses>mairie</addresses>" if scope == "Private" else ""
    return (
        f'{head}<alert xmlns="{CAP12}">'
        f"<identifier>{escape(identifier)}</identifier><sender>{escape(sender)}</sender>"
        f"<sent>{SENT}</sent><status>{status}</status><msgType>{msg_type}</msgType>"
        f"<scope>{scope}</scope>{restriction}{addresses}{refs}"
        + "".join(_info(i) for i in infos)
        + "</alert>"
    )


def _pairs(tag: str, pairs: Sequence[tuple[str, str]]) -> str:
    return "".join(
        f"<{tag}><valueName>{escape(n)}</valueName><value>{escape(v)}</value></{tag}>"
        for n, v in pairs
    )


def _area(area: Area) -> str:
    return (
        f"<area><areaDesc>{escape(area.description)}</areaDesc>"
        + "".join(f"<polygon>{p}</polygon>" for p in area.polygons)
        + "".join(f"<circle>{c}</circle>" for c in area.circles)
        + _pairs("geocode", area.geocodes)
        + "</area>"
    )


def _info(info: Info) -> str:
    headline = f"<headline>{escape(info.headline)}</headline>" if info.headline else ""
    return (
        f"<info><language>{info.language}</language><category>Met</category>"
        f"<event>{escape(info.event)}</event><urgency>Immediate</urgency>"
        f"<severity>{info.severity}</severity><certainty>Likely</certainty>"
        f"<expires>{EXPIRES}</expires>{headline}"
        + _pairs("parameter", info.parameters)
        + "".join(_area(a) for a in info.areas)
        + "</info>"
    )


def edxl(*alerts: str) -> str:
    """An EDXL-DE 1.0 envelope with one content object per CAP alert (declarations removed)."""
    objects = "".join(
        "<contentObject><xmlContent><embeddedXMLContent>"
        + a.split("?>", 1)[-1]
        + "</embeddedXMLContent></xmlContent></contentObject>"
        for a in alerts
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><EDXLDistribution xmlns="{EDXL_DE}">'
        "<distributionID>made-edxl-1</distributionID><senderID>made@bocage.test</senderID>"
        f"<dateTimeSent>{SENT}</dateTimeSent><distributionStatus>Actual</distributionStatus>"
        f"<distributionType>Report</distributionType><combinedConfidentiality>UNCLASSIFIED"
        f"</combinedConfidentiality>{objects}</EDXLDistribution>"
    )


def meteoalarm_alert(
    identifier: str = "2.49.0.0.250.0.FR.made.1",
    level: str = "3; orange; Severe",
    awareness_type: str = "1; Wind",
    geocodes: Sequence[tuple[str, str]] = (("EMMA_ID", "FR059"), ("NUTS3", "FRE11")),
    area: str = "Nord",
    language: str = "fr-FR",
) -> dict[str, object]:
    """One alert of MeteoAlarm's JSON feed: CAP's own field names, lists where CAP repeats."""
    return {
        "identifier": identifier,
        "sender": "meteoalarm.made@bocage.test",
        "sent": SENT,
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
        "info": [
            {
                "language": language,
                "category": ["Met"],
                "event": "Vigilance orange vent violent",
                "responseType": ["Monitor"],
                "urgency": "Future",
                "severity": "Severe",
                "certainty": "Likely",
                "expires": EXPIRES,
                "senderName": "Météo-France",
                "headline": "Vigilance orange vent violent",
                "parameter": [
                    {"valueName": "awareness_level", "value": level},
                    {"valueName": "awareness_type", "value": awareness_type},
                ],
                "area": [
                    {
                        "areaDesc": area,
                        "geocode": [{"valueName": n, "value": v} for n, v in geocodes],
                    }
                ],
            }
        ],
    }


def meteoalarm_json(*alerts: dict[str, object]) -> str:
    return json.dumps({"warnings": [{"alert": a, "uuid": f"u{i}"} for i, a in enumerate(alerts)]})


# A square over Bailleul's centre and one over Steenvoorde's (lat,lon pairs, closed).
BAILLEUL_SQUARE = "50.72,2.725 50.72,2.745 50.735,2.745 50.735,2.725 50.72,2.725"
STEENVOORDE_SQUARE = "50.815,2.575 50.815,2.595 50.825,2.595 50.825,2.575 50.815,2.575"
# A drawn polygon over exactly Bailleul and Méteren (checked against the IGN boundaries).
OVER_BAILLEUL_AND_METEREN = "50.735,2.69 50.735,2.745 50.75,2.745 50.75,2.69 50.735,2.69"
