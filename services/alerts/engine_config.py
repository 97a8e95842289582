"""What the provider channel and the campaign sender are built with, from the alerts settings:
one place for the nameko service's engine (`dependencies.py`) and the asyncio sender processes
(`async_sender.py`), so both send, and chase receipts, the same way. Pure."""

from __future__ import annotations

from services.alerts.channels.twilio import TwilioSettings
from services.alerts.sender import SenderConfig
from services.alerts.settings import AlertsSettings

# A request begun this long after the provider's timeout has ended one way or the other.
SETTLE_MARGIN_S = 5.0


def twilio_settings(settings: AlertsSettings) -> TwilioSettings:
    return TwilioSettings(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token,
        sms_sender=settings.sms_sender,
        voice_caller=settings.voice_caller,
        base_url=settings.twilio_base_url,
        timeout_s=settings.provider_timeout_s,
        max_connections=settings.concurrency,
    )


def sender_config(settings: AlertsSettings) -> SenderConfig:
    return SenderConfig(
        public_base_url=settings.public_base_url,
        status_base_url=settings.status_base_url,
        sms_segments_per_second=settings.sms_segments_per_second,
        calls_per_second=settings.calls_per_second,
        batch=settings.concurrency,
        lease_s=settings.lease_s,
        settle_after_s=settings.provider_timeout_s + SETTLE_MARGIN_S,
        receipt_chase_after_s=settings.receipt_chase_after_s,
    )
