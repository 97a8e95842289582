"""A call goes queued → ringing → in-progress → completed (or busy / no-answer / failed for chosen
numbers). Once answered it plays its TwiML: what is <Say>-ed is recorded, and at a <Gather> it waits
for a simulated keypress, which is posted, signed, to the Gather's action URL as Twilio would."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urljoin

from . import twiml
from .resources import API_VERSION, Call, now, rfc2822
from .runtime import Keypress, Sandbox

# StatusCallbackEvent names, and the CallStatus each one reports.
EVENT_OF_STATUS = {
    "initiated": "initiated",
    "ringing": "ringing",
    "in-progress": "answered",
    "completed": "completed",
    "busy": "completed",
    "no-answer": "completed",
    "failed": "completed",
}
APPLICATION_ERROR = "An application error has occurred."


def _call_params(call: Call) -> dict[str, str]:
    return {
        "AccountSid": call.account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call.sid,
        "CallStatus": call.status,
        "Called": call.to,
        "Caller": call.from_,
        "Direction": "outbound-api",
        "From": call.from_,
        "To": call.to,
    }


async def _set_status(sandbox: Sandbox, call: Call, status: str, sequence: list[int]) -> None:
    if status != "initiated":  # "initiated" is an event only; the resource stays queued
        call.status = status
    call.date_updated = now()
    event = EVENT_OF_STATUS[status]
    if not (sandbox.config.callbacks and call.status_callback):
        return
    if event not in call.status_callback_events:
        return
    params = _call_params(call)
    params.update(
        CallStatus=status,
        CallbackSource="call-progress-events",
        SequenceNumber=str(sequence[0]),
        Timestamp=rfc2822(now()) or "",
    )
    sequence[0] += 1
    if event == "completed":
        params["CallDuration"] = params["Duration"] = call.duration or "0"
    await sandbox.webhooks.post(call.status_callback, params)


async def _fetch_twiml(sandbox: Sandbox, call: Call, url: str, extra: dict[str, str]) -> str | None:
    response = await sandbox.webhooks.post(url, {**_call_params(call), **extra})
    if response is None or response.status_code >= 400:
        return None
    return response.text


async def _play(sandbox: Sandbox, call: Call, keypad: asyncio.Queue[Keypress]) -> None:
    """Play the call's TwiML and each document a keypress leads to, until no <Gather> is left."""
    document = call.twiml
    document_url = call.url
    if document is None and document_url:
        document = await _fetch_twiml(sandbox, call, document_url, {})
    while document is not None:
        try:
            script = twiml.parse(document)
        except twiml.TwimlError:
            call.said.append(APPLICATION_ERROR)
            return
        call.said.extend(script.says)
        if script.gather is None or script.hangup:
            return
        action = script.gather.action or document_url
        if action and document_url:
            action = urljoin(document_url, action)
        call.gather_action = action
        try:
            digits, answered = await asyncio.wait_for(keypad.get(), sandbox.config.gather_wait)
        except TimeoutError:
            return  # nobody pressed anything: the call goes on past the Gather, and ends
        call.digits.append(digits)
        call.gather_action = None
        if not action:
            answered.set_result({"action": None, "status_code": None})
            return
        extra = {"Digits": digits, "FinishedOnKey": ""}
        response = await sandbox.webhooks.post(action, {**_call_params(call), **extra})
        document_url = action
        status_code = None if response is None else response.status_code
        document = response.text if response is not None and status_code == 200 else None
        answered.set_result({"action": action, "status_code": status_code})


async def run(sandbox: Sandbox, call: Call) -> None:
    keypad = sandbox.keypads.setdefault(call.sid, asyncio.Queue())
    sequence = [0]
    try:
        await _set_status(sandbox, call, "initiated", sequence)
        await sandbox.pause()
        if call.to in sandbox.config.call_failed:
            await _set_status(sandbox, call, "failed", sequence)
            return
        await _set_status(sandbox, call, "ringing", sequence)
        await sandbox.pause()
        for outcome, numbers in (
            ("busy", sandbox.config.call_busy),
            ("no-answer", sandbox.config.call_no_answer),
        ):
            if call.to in numbers:
                await _set_status(sandbox, call, outcome, sequence)
                return
        call.start_time = now()
        await _set_status(sandbox, call, "in-progress", sequence)
        await _play(sandbox, call, keypad)
        await sandbox.pause()
        call.end_time = now()
        await _set_status(sandbox, call, "completed", sequence)
    finally:
        sandbox.keypads.pop(call.sid, None)
        call.gather_action = None
        # Anyone still pressing keys on a call that has ended is told so, not left waiting.
        while not keypad.empty():
            _, answered = keypad.get_nowait()
            with contextlib.suppress(asyncio.InvalidStateError):
                answered.set_result({"action": None, "status_code": None, "ended": True})
