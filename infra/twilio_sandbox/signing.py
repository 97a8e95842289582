"""The X-Twilio-Signature of a webhook: HMAC-SHA1, keyed with the auth token, of the full URL
followed by every POST parameter as name+value, sorted by name (then value), base64-encoded."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence

SIGNATURE_HEADER = "X-Twilio-Signature"


def signature(auth_token: str, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    payload = [url]
    for name in sorted(params):
        value = params[name]
        values = [value] if isinstance(value, str) else sorted(value)
        payload.extend(name + v for v in values)
    digest = hmac.new(auth_token.encode(), "".join(payload).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
