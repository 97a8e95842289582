from datetime import date

import pytest

from contracts.alerts import Contact, ContactPhone
from services.alerts.csv_safety import spreadsheet_safe
from services.alerts.identity import identity_key, unite

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "payload",
    ['=HYPERLINK("http://evil.example","x")', "@SUM(A1:A9)", "+1+cmd|' /C calc'!A0", "-2+3",
     "\t=1+1", "\r=1+1"],
)  # fmt: skip
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(payload: str) -> None:
    (cell,) = spreadsheet_safe(payload)
    assert cell == "'" + payload


@pytest.mark.parametrize("value", ["+33612345678", "-3", "Jeanne Martin", "", 7, "a=b"])
def test_plain_values_and_phone_numbers_are_left_as_they_are(value: object) -> None:
    assert spreadsheet_safe(value) == (value,)


def test_identity_keys_fold_width_case_and_spaces_but_nothing_else() -> None:
    assert identity_key("Jeanne  Martin", "59350") == identity_key("ＪＥＡＮＮＥ martin ", "59350")
    assert identity_key("Jeanne Martin", "59350") != identity_key("Jeanne Martin", "59009")
    assert identity_key("Lefèvre", "59350") != identity_key("Lefevre", "59350")
    assert identity_key("🌊🏠", "59350") != identity_key("🔥🌲", "59350")


def _contact(*numbers: str) -> Contact:
    return Contact(
        contact_id="c-1",
        full_name="Jeanne Martin",
        phones=tuple(ContactPhone(e164=n, kind="mobile") for n in numbers),
        commune="59350",
        consent_date=date(2025, 1, 1),
        consent_source="test",
    )


def test_a_re_import_of_a_person_keeps_every_number() -> None:
    stored = _contact("+33612345678")
    again = _contact("+33712345678").model_copy(update={"contact_id": "c-1"})
    assert [p.e164 for p in unite(stored, again).phones] == ["+33612345678", "+33712345678"]
