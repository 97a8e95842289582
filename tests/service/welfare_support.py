"""What the welfare service tests share: the events routing publishes, and a stand-in for the
gateway's Twilio webhook route (it forwards the sandbox's signed keypresses to the alerts RPC,
as `services/gateway/routers/webhooks.py` does), so keypresses travel the real path."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from nameko.standalone.rpc import ServiceRpcProxy

from contracts.deliveries import DeliveryFailed
from contracts.meals_events import EmergencyContact
from services.common.events import make_message

SOPHIE = EmergencyContact(name="Sophie Lefebvre", phone="+33612340001", relation="family")
CARON = EmergencyContact(name="Michel Caron", phone="+33612340002", relation="neighbour")
DISPATCHER = {"username": "dispatcher-1", "role": "dispatcher"}


def failed_event(tenant: str, attempted_at: str = "2026-11-23T11:40:00+01:00") -> dict[str, Any]:
    event = DeliveryFailed(
        delivery_id="d-42", commune="59350", recipient_name="Mme Lefebvre", reason="no_answer",
        attempted_at=datetime.fromisoformat(attempted_at), reported_by="driver-1",
        senior_id="s-1", emergency_contacts=(SOPHIE, CARON),
    )  # fmt: skip
    return make_message(event, tenant=tenant)


@contextmanager
def webhook_forwarder(port: int, config: dict[str, Any]) -> Iterator[str]:
    """Listen on `port` as the gateway would; yields the public base URL to give the service."""
    base = f"http://127.0.0.1:{port}"

    class Forward(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            kind = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
            length = int(self.headers.get("Content-Length", "0"))
            params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            signature = self.headers.get("X-Twilio-Signature", "")
            with ServiceRpcProxy("alerts", config, timeout=20) as alerts:
                answer = alerts.twilio_webhook(kind, base + self.path, params, signature)
            body = str(answer.get("twiml", "<Response/>")).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Forward)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
