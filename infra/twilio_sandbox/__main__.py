"""python -m infra.twilio_sandbox --host 127.0.0.1 --port 8099"""

from __future__ import annotations

import argparse

import uvicorn

from .app import create_app
from .config import SandboxConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.twilio_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    try:
        config = SandboxConfig.from_env()
    except ValueError as exc:  # a number expected, something else given
        parser.error(f"bad sandbox setting in the environment: {exc}")
    # No access log: writing a line per request would halve the benchmark's throughput.
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        # Local only: no X-Forwarded-For to honour, and one middleware less on every request.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
