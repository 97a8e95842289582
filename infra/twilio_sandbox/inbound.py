"""A virtual phone texts our number: opt-out and opt-in keywords are honoured as Twilio's default
Advanced Opt-Out does, and the message is forwarded, signed, to the inbound webhook."""

from __future__ import annotations

from .resources import API_VERSION, Message, new_sid, now
from .runtime import Sandbox
from .segments import count_segments

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})
HELP = frozenset({"HELP", "INFO", "AIDE"})


def opt_out_type(body: str) -> str | None:
    """Twilio matches a keyword only when it is the whole message, whatever its case."""
    word = body.strip().upper()
    if word in OPT_OUT:
        return "STOP"
    if word in OPT_IN:
        return "START"
    if word in HELP:
        return "HELP"
    return None


def receive(sandbox: Sandbox, from_: str, to: str, body: str) -> tuple[Message, str | None]:
    keyword = opt_out_type(body)
    if keyword == "STOP":
        sandbox.store.opted_out.add(from_)
    elif keyword == "START":
        sandbox.store.opted_out.discard(from_)
    message = Message(
        sid=new_sid("SM"),
        account_sid=sandbox.config.account_sid,
        to=to,
        from_=from_,
        body=body,
        num_segments=count_segments(body).segments,
        direction="inbound",
        status="received",
    )
    message.date_sent = now()
    sandbox.store.add_message(message)
    webhook = sandbox.config.inbound_webhook
    if webhook:
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_,
            "MessageSid": message.sid,
            "NumMedia": "0",
            "NumSegments": str(message.num_segments),
            "SmsMessageSid": message.sid,
            "SmsSid": message.sid,
            "SmsStatus": "received",
            "To": to,
        }
        if keyword:
            params["OptOutType"] = keyword

        async def forward() -> None:
            await sandbox.webhooks.post(webhook, params)

        sandbox.webhooks.submit(forward)
    return message, keyword
