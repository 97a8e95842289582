"""Read a mairie's contact list (CSV as spreadsheets export it) into contacts, row by row.

Every row gets a verdict: imported, merged into an earlier row of the same person, or rejected
with its reasons. A row is kept as long as one usable phone number remains; the numbers that
could not be read are reported as warnings, never silently dropped. Pure: no I/O.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from contracts.alerts import Contact, ContactImportReport, ContactPhone, GeoPoint, ImportRowReport
from services.alerts.identity import fresh_ids, identity_key
from services.alerts.phones import PhoneError, parse_phone

# Given the identity keys of the people of a file, their contact ids (known ones kept).
IdAssigner = Callable[[list[str]], Mapping[str, str]]

# Header names as mairies write them, folded (lower case, no accents, no spaces/punctuation).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "last_name": ("nom", "nomdefamille", "lastname", "surname"),
    "first_name": ("prenom", "firstname", "givenname"),
    "full_name": ("nomcomplet", "fullname", "name", "nomprenom"),
    "phones": ("telephone", "telephones", "tel", "phone", "phones", "portable", "mobile",
               "fixe", "numero", "numeros"),
    "commune": ("commune", "codeinsee", "insee", "codecommune", "town"),
    "address": ("adresse", "address"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "longitude"),
    "vulnerable": ("vulnerable", "personnevulnerable", "fragile", "isole", "registrecanicule"),
    "preferred_channel": ("canal", "canalprefere", "preferredchannel", "channel"),
    "consent_date": ("dateconsentement", "consentement", "consentdate", "dateinscription"),
    "consent_source": ("sourceconsentement", "source", "consentsource", "origine"),
}  # fmt: skip
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
NO = {"non", "n", "no", "0", "false", "faux", ""}
CHANNELS = {"sms": "sms", "texto": "sms", "voix": "voice", "voice": "voice", "appel": "voice"}


class CsvError(ValueError):
    """The file as a whole cannot be read (no header, no phone column...)."""


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(
        ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch)
    ).lower()


@dataclass
class CommuneDirectory:
    """The communes a file may use: a row may give the INSEE code or the name. `others`: the
    tenant's communes the importer does not reach, named as such when a row uses one."""

    by_code: Mapping[str, str]
    others: Mapping[str, str] = field(default_factory=dict)
    by_folded_name: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.by_folded_name = {fold(name): code for code, name in self.by_code.items()}

    def resolve(self, value: str) -> str | None:
        value = value.strip()
        if value in self.by_code:
            return value
        return self.by_folded_name.get(fold(value))

    def is_other(self, value: str) -> bool:
        value = value.strip()
        return value in self.others or fold(value) in {fold(n) for n in self.others.values()}


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) as most tools write it, else Windows-1252 as Excel does."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _columns(header: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        folded = fold(name)
        for column, aliases in COLUMN_ALIASES.items():
            if folded in aliases and column not in found:
                found[column] = index
    return found


def _parse_date(text: str) -> date:
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"consent date {text!r} is not a date (expected JJ/MM/AAAA)")


def _split_phones(text: str) -> list[str]:
    for separator in ("/", "|", ",", "\n"):
        text = text.replace(separator, ";")
    return [part for part in (p.strip() for p in text.split(";")) if part]


def read_contacts(
    data: bytes,
    communes: CommuneDirectory,
    *,
    default_consent_source: str = "import mairie",
    assign_ids: IdAssigner = fresh_ids,
) -> tuple[list[Contact], ContactImportReport]:
    """`assign_ids` maps each person's identity key to their contact id: the store passes one
    that keeps the ids of people already known, so a re-import updates the same contact."""
    text = decode(data)
    if not text.strip():
        raise CsvError("the file is empty")
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=";,\t").delimiter
    except csv.Error:  # one column, or too irregular to sniff: count separators instead
        delimiter = ";" if text.count(";") >= text.count(",") else ","
    # A bare CR (old Mac line end) inside a line makes the csv module raise: read it as a line end.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise CsvError(f"the file cannot be read as CSV: {error}") from None
    columns = _columns(rows[0])
    if "phones" not in columns:
        raise CsvError(f"no phone column in the header {rows[0]!r} (expected e.g. 'téléphone')")
    if "commune" not in columns:
        raise CsvError(f"no commune column in the header {rows[0]!r} (expected 'commune')")
    if "full_name" not in columns and "last_name" not in columns:
        raise CsvError(f"no name column in the header {rows[0]!r} (expected 'nom' and 'prénom')")

    read: list[tuple[ImportRowReport, Contact | None, str]] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines at the end of a spreadsheet export
        report, contact = _read_row(line, row, columns, communes, default_consent_source)
        key = identity_key(contact.full_name, contact.commune) if contact else ""
        read.append((report, contact, key))
    ids = assign_ids(list(dict.fromkeys(key for _, contact, key in read if contact)))

    contacts: dict[str, Contact] = {}
    reports: list[ImportRowReport] = []
    for report, contact, key in read:
        if contact is not None:
            contact = contact.model_copy(update={"contact_id": ids[key]})
            report = report.model_copy(update={"contact_id": ids[key]})
            earlier = contacts.get(key)
            if earlier is not None:
                contact = _merge(earlier, contact)
                report = report.model_copy(update={"status": "merged"})
            contacts[key] = contact
        reports.append(report)
    summary = ContactImportReport(
        imported=sum(r.status == "imported" for r in reports),
        merged=sum(r.status == "merged" for r in reports),
        rejected=sum(r.status == "rejected" for r in reports),
        rows=tuple(reports),
    )
    return list(contacts.values()), summary


def _merge(earlier: Contact, later: Contact) -> Contact:
    phones = {p.e164: p for p in (*earlier.phones, *later.phones)}
    return earlier.model_copy(
        update={
            "phones": tuple(phones.values()),
            "vulnerable": earlier.vulnerable or later.vulnerable,
            "consent_date": max(earlier.consent_date, later.consent_date),
        }
    )


def _read_row(
    line: int,
    row: list[str],
    columns: dict[str, int],
    communes: CommuneDirectory,
    default_source: str,
) -> tuple[ImportRowReport, Contact | None]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    reasons: list[str] = []
    warnings: list[str] = []
    full_name = cell("full_name") or " ".join(
        p for p in (cell("first_name"), cell("last_name")) if p
    )
    if not full_name:
        reasons.append("no name")
    commune_text = cell("commune")
    commune = communes.resolve(commune_text) if commune_text else None
    if not commune_text:
        reasons.append("no commune")
    elif commune is None and communes.is_other(commune_text):
        reasons.append(f"commune {commune_text!r} is not one of yours")
    elif commune is None:
        reasons.append(f"commune {commune_text!r} is not one of this intercommunality's")

    phones: list[ContactPhone] = []
    raw_phones = _split_phones(cell("phones"))
    for raw in raw_phones:
        try:
            phone = parse_phone(raw)
        except PhoneError as error:
            warnings.append(str(error))
            continue
        if all(p.e164 != phone.e164 for p in phones):
            phones.append(ContactPhone(e164=phone.e164, kind=phone.kind))
    if not raw_phones:
        reasons.append("no phone number")
    elif not phones:
        reasons.append("no valid phone number: " + "; ".join(warnings))
        warnings = []

    vulnerable_text = fold(cell("vulnerable"))
    vulnerable = vulnerable_text in YES
    if vulnerable_text not in YES | NO:
        reasons.append(f"vulnerable must be oui or non, got {cell('vulnerable')!r}")
    channel_text = fold(cell("preferred_channel"))
    channel = CHANNELS.get(channel_text)
    if channel_text and channel is None:
        reasons.append(f"preferred channel must be sms or voix, got {cell('preferred_channel')!r}")

    consent_text = cell("consent_date")
    consent: date | None = None
    if not consent_text:
        reasons.append("no consent date: a person is alerted only with their consent")
    else:
        try:
            consent = _parse_date(consent_text)
        except ValueError as error:
            reasons.append(str(error))

    location = None
    if cell("lat") or cell("lon"):
        try:
            location = GeoPoint(lat=float(cell("lat").replace(",", ".")),
                                lon=float(cell("lon").replace(",", ".")))  # fmt: skip
        except ValueError:
            warnings.append(f"position {cell('lat')!r}, {cell('lon')!r} ignored: not a lat/lon")

    if reasons or commune is None or consent is None:
        return ImportRowReport(row=line, status="rejected", reasons=tuple(reasons)), None
    contact = Contact(
        contact_id="",  # given once every row is read (see `assign_ids`)
        full_name=full_name,
        phones=tuple(phones),
        commune=commune,
        address=cell("address"),
        location=location,
        vulnerable=vulnerable,
        preferred_channel=channel,  # type: ignore[arg-type]
        consent_date=consent,
        consent_source=cell("consent_source") or default_source,
    )
    report = ImportRowReport(row=line, status="imported", warnings=tuple(warnings))
    return report, contact
