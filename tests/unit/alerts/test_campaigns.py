from datetime import date

import pytest

from contracts.alerts import CampaignRequest, CampaignTarget, Contact, ContactPhone
from services.alerts.campaigns import Tariff, preview, recipients_for

pytestmark = pytest.mark.unit


def _contact(cid: str, *phones: tuple[str, str], preferred: str | None = None) -> Contact:
    return Contact(
        contact_id=cid,
        full_name=cid,
        phones=tuple(ContactPhone(e164=e, kind=k) for e, k in phones),  # type: ignore[arg-type]
        commune="59043",
        preferred_channel=preferred,  # type: ignore[arg-type]
        consent_date=date(2025, 1, 1),
        consent_source="test",
    )


CONTACTS = [
    _contact("a", ("+33612345678", "mobile"), ("+33328491200", "landline")),
    _contact("b", ("+33328491201", "landline")),
    _contact("c", ("+33612345679", "mobile"), preferred="voice"),
    _contact("d", ("+33612345670", "mobile")),
]


def test_each_person_once_sms_to_mobiles_calls_to_landlines_none_to_opt_outs() -> None:
    recipients = recipients_for(CONTACTS, ["sms", "voice"], opted_out={"+33612345670"})

    assert sorted((r.contact_id, r.e164, r.channel) for r in recipients) == [
        ("a", "+33612345678", "sms"),
        ("b", "+33328491201", "voice"),
        ("c", "+33612345679", "voice"),
    ]


def test_a_vulnerable_person_is_also_called() -> None:
    vulnerable = CONTACTS[0].model_copy(update={"vulnerable": True})

    recipients = recipients_for([vulnerable], ["sms", "voice"], opted_out=set())

    assert [(r.e164, r.channel) for r in recipients] == [
        ("+33612345678", "sms"),
        ("+33328491200", "voice"),
    ]


def test_an_opted_out_mobile_falls_back_to_the_landline_by_voice() -> None:
    recipients = recipients_for(CONTACTS[:1], ["sms", "voice"], opted_out={"+33612345678"})
    assert [(r.e164, r.channel) for r in recipients] == [("+33328491200", "voice")]


def test_sms_only_campaign_leaves_landline_only_people_out() -> None:
    recipients = recipients_for(CONTACTS, ["sms"], opted_out=set())
    assert sorted(r.contact_id for r in recipients) == ["a", "c", "d"]
    assert {r.channel for r in recipients} == {"sms"}


def test_preview_counts_segments_cost_and_offers_a_gsm7_variant() -> None:
    request = CampaignRequest(
        title="Crue de la Lys",
        message="Crue : l’eau monte, ne prenez pas votre véhicule.",
        severity="warning",
        target=CampaignTarget(communes=("59043",)),
    )
    recipients = recipients_for(CONTACTS, ["sms", "voice"], opted_out=set())

    result = preview(request, recipients, Tariff(sms_segments_per_second=1, calls_per_second=1))

    assert result.recipients == {"sms": 2, "voice": 2}
    assert result.people == 4
    assert result.sms.encoding == "UCS-2"
    assert result.sms.forcing_characters == ("’",)
    assert result.transliterated_message == "Crue : l'eau monte, ne prenez pas votre véhicule."
    assert result.transliterated_sms is not None
    assert result.transliterated_sms.encoding == "GSM-7"
    assert result.sms_segments_total == 2
    assert result.estimated_seconds == 2.0
    assert result.estimated_cost_eur > 0
