from datetime import UTC, datetime, timedelta

import pytest

from contracts.alerts import Campaign, CampaignMessage, CampaignRequest, CampaignTarget
from services.alerts.retention import expired_campaigns

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _campaign(status: str, *days_ago: int) -> Campaign:
    request = CampaignRequest(
        title="t", message="m", severity="warning", target=CampaignTarget(communes=("59350",))
    )
    messages = tuple(
        CampaignMessage(
            number=n,
            kind="alert" if n == 1 else "update",
            text="m",
            voice_text="m",
            created_at=NOW - timedelta(days=d),
            created_by="x",
        )
        for n, d in enumerate(days_ago, start=1)
    )
    return Campaign(
        campaign_id=f"cmp-{status}-{len(days_ago)}",
        tenant="t",
        request=request,
        status=status,  # type: ignore[arg-type]
        created_at=NOW - timedelta(days=days_ago[0]),
        created_by="x",
        messages=messages,
    )


def test_logs_expire_from_the_last_message_and_never_while_sending() -> None:
    old = _campaign("sent", 400)
    updated_lately = _campaign("sent", 400, 30)
    still_sending = _campaign("sending", 400)
    recent = _campaign("sent", 10)

    found = expired_campaigns([old, updated_lately, still_sending, recent], NOW, 180)

    assert found == [old]
