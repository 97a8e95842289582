"""GET /sandbox/: every virtual phone's inbox on one self-contained page (no external assets)."""

from __future__ import annotations

from html import escape
from itertools import islice

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .api_request import sandbox_of
from .resources import Call, Message
from .store import Phone

MAX_PHONES = 200  # the benchmark leaves 100,000 phones: show the first ones, say how many exist
MAX_ENTRIES = 50

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2a1f;background:#f6f7f2}
h1{font-size:1.4rem} h2{font-size:1.05rem;margin:0 0 .4rem}
.phone{background:#fff;border:1px solid #cfd8c8;border-radius:8px;padding:.8rem;margin:.8rem 0}
table{border-collapse:collapse;width:100%} td,th{padding:.25rem .5rem;text-align:left;
vertical-align:top;border-top:1px solid #e3e8de;font-size:.9rem}
.status{font-weight:600} .undelivered,.failed,.busy,.no-answer{color:#a4262c}
.delivered,.completed{color:#2f6b34} .optout{color:#a4262c;font-weight:600}
"""


def _entry_row(entry: Message | Call) -> str:
    if isinstance(entry, Message):
        kind, text = "SMS", escape(entry.body)
        detail = f"{entry.num_segments} segment(s)"
        if entry.error_code:
            detail += f", error {entry.error_code}"
    else:
        kind = "Call"
        text = "<br>".join(escape(s) for s in entry.said) or "<em>(nothing said yet)</em>"
        detail = f"keys: {escape(' '.join(entry.digits))}" if entry.digits else ""
    status = escape(entry.status)
    return (
        f"<tr><td>{kind}</td><td>{escape(entry.from_ or '')}</td><td>{text}</td>"
        f'<td class="status {status}">{status}</td><td>{detail}</td>'
        f"<td><code>{entry.sid}</code></td></tr>"
    )


def _phone_card(phone: Phone, opted_out: bool) -> str:
    entries = list(islice(reversed(phone.received), MAX_ENTRIES))
    rows = "".join(_entry_row(e) for e in entries)
    sent = "".join(
        f"<li>to {escape(m.to)}: {escape(m.body)}</li>" for m in islice(reversed(phone.sent), 10)
    )
    flag = ' <span class="optout">opted out (STOP)</span>' if opted_out else ""
    return (
        f'<section class="phone" data-number="{escape(phone.number)}">'
        f"<h2>{escape(phone.number)}{flag}</h2>"
        + (
            "<table><tr><th>Kind</th><th>From</th><th>Content</th><th>Status</th><th></th>"
            f"<th>SID</th></tr>{rows}</table>"
            if rows
            else "<p>Nothing received.</p>"
        )
        + (f"<p>Sent to us:</p><ul>{sent}</ul>" if sent else "")
        + "</section>"
    )


async def inbox_page(request: Request) -> Response:
    store = sandbox_of(request).store
    phones = list(islice(store.phones.values(), MAX_PHONES))
    cards = "".join(_phone_card(p, p.number in store.opted_out) for p in phones)
    more = len(store.phones) - len(phones)
    note = f"<p>{more} more phones not shown.</p>" if more > 0 else ""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="5"><title>Twilio sandbox: inboxes</title>'
        f"<style>{STYLE}</style></head><body><h1>Twilio sandbox: virtual phones</h1>"
        f"<p>{len(store.messages)} messages, {len(store.calls)} calls.</p>"
        f"{cards or '<p>No phone has received anything yet.</p>'}{note}</body></html>"
    )
    return HTMLResponse(html)
