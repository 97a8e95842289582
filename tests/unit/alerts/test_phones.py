import pytest

from services.alerts.phones import PhoneError, parse_phone

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "e164", "kind", "channel"),
    [
        ("06 12 34 56 78", "+33612345678", "mobile", "sms"),
        ("07.81.23.45.67", "+33781234567", "mobile", "sms"),
        ("03 20 12 34 56", "+33320123456", "landline", "voice"),
        ("+33 (0)3 28 49 12 00", "+33328491200", "landline", "voice"),
        ("+32 470 12 34 56", "+32470123456", "mobile", "sms"),
    ],
)
def test_numbers_are_stored_as_e164_with_the_channel_their_kind_needs(
    raw: str, e164: str, kind: str, channel: str
) -> None:
    phone = parse_phone(raw)
    assert (phone.e164, phone.kind, phone.channel) == (e164, kind, channel)


@pytest.mark.parametrize("raw", ["", "12", "06 12 34", "not a number", "+33 7 00 00 00 00"])
def test_bad_numbers_are_refused_with_the_number_in_the_message(raw: str) -> None:
    with pytest.raises(PhoneError) as raised:
        parse_phone(raw)
    assert (repr(raw) in str(raised.value)) or raw == ""
