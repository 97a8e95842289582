"""Everything the sandbox remembers, in memory (one process): messages, calls, virtual phones,
opt-outs and the API requests received. Only the event loop touches it, so it needs no lock."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .resources import Call, Message


@dataclass
class Phone:
    """A virtual phone: what it received and what it sent to our number."""

    number: str
    received: list[Message | Call] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]


class Store:
    def __init__(self, request_log_size: int) -> None:
        self.messages: dict[str, Message] = {}
        # Messages per `To` number, oldest first: a crashed sender's "was it sent?" look-up
        # (`GET Messages?To=`) must not scan 100,000 messages each time.
        self.messages_to: dict[str, list[Message]] = {}
        self.calls: dict[str, Call] = {}
        self.phones: dict[str, Phone] = {}
        self.opted_out: set[str] = set()
        self.requests: deque[RecordedRequest] = deque(maxlen=request_log_size)

    def reset(self) -> None:
        self.messages.clear()
        self.messages_to.clear()
        self.calls.clear()
        self.phones.clear()
        self.opted_out.clear()
        self.requests.clear()

    def phone(self, number: str) -> Phone:
        phone = self.phones.get(number)
        if phone is None:
            phone = self.phones[number] = Phone(number)
        return phone

    def add_message(self, message: Message) -> None:
        self.messages[message.sid] = message
        self.messages_to.setdefault(message.to, []).append(message)
        if message.direction == "inbound":
            self.phone(message.from_ or "").sent.append(message)
        else:
            self.phone(message.to).received.append(message)

    def add_call(self, call: Call) -> None:
        self.calls[call.sid] = call
        self.phone(call.to).received.append(call)

    def record(self, request: RecordedRequest) -> None:
        self.requests.append(request)

    def phone_view(self, number: str) -> dict[str, Any]:
        phone = self.phones.get(number) or Phone(number)
        return {
            "number": number,
            "opted_out": number in self.opted_out,
            "messages": [m.to_json() for m in phone.received if isinstance(m, Message)],
            "calls": [
                {**c.to_json(), "said": list(c.said), "digits": list(c.digits)}
                for c in phone.received
                if isinstance(c, Call)
            ],
            "sent": [m.to_json() for m in phone.sent],
        }
