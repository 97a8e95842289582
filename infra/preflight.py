"""The containers' entrypoint: check the deployment's settings, then run the command.

`python -m infra.preflight COMMAND...` replaces itself with COMMAND, unless the profile is
`production` (BOCAGE_PROFILE) and the settings would send nothing real or are everyone's: Twilio
credentials missing or the sandbox's, a Twilio base URL (the sandbox), the sandbox itself being
started, or RabbitMQ's well-known guest/guest. Then it prints why and exits 1, so the container
never starts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

PRODUCTION = "production"


def refusal(environ: Mapping[str, str], command: Sequence[str]) -> str | None:
    """Why this command must not start with these settings, or None when it may."""
    if environ.get("BOCAGE_PROFILE", "").strip().lower() != PRODUCTION:
        return None
    from infra.twilio_sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

    if any("twilio_sandbox" in part for part in command):
        return "the Twilio sandbox does not run in the production profile"
    sid = environ.get("TWILIO_ACCOUNT_SID", "").strip()
    token = environ.get("TWILIO_AUTH_TOKEN", "").strip()
    if not sid or not token:
        return "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must hold the real account's credentials"
    if sid == DEFAULT_ACCOUNT_SID or token == DEFAULT_AUTH_TOKEN:
        return "TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN are the sandbox's development credentials"
    if environ.get("TWILIO_BASE_URL", "").strip():
        return "TWILIO_BASE_URL is set: messages would go to a stand-in, not to Twilio"
    broker = urlsplit(environ.get("AMQP_URI", ""))
    if broker.password in (None, "", "guest"):
        return "RabbitMQ's password is guest or empty: set RABBITMQ_USER and RABBITMQ_PASSWORD"
    return None


def main(argv: list[str]) -> int:
    command = argv[1:]
    if not command:
        print("usage: python -m infra.preflight COMMAND [ARG...]", file=sys.stderr)
        return 2
    reason = refusal(os.environ, command)
    if reason is not None:
        print(f"refusing to start in the production profile: {reason}", file=sys.stderr)
        return 1
    os.execvp(command[0], command)
    return 0  # not reached: execvp replaces the process


if __name__ == "__main__":
    sys.exit(main(sys.argv))
