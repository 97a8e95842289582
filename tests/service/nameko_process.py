"""Services as real processes (`nameko run`), for tests that kill -9 them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from nameko.standalone.rpc import ServiceRpcProxy

from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, REPO_ROOT


def start_services(
    config: dict[str, Any], modules: list[str], log: Path, **env: str
) -> subprocess.Popen[bytes]:
    """`nameko run` of `modules` on the config's vhost and Redis, extra `env` on top."""
    full_env = {
        **os.environ,
        "AMQP_URI": str(config["AMQP_URI"]),
        "REDIS_URL": str(config["REDIS_URL"]),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        **env,
    }
    with open(log, "ab") as output:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", "infra/nameko.yaml", *modules],
            cwd=REPO_ROOT, env=full_env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip


def wait_serving(config: dict[str, Any], service: str, log: Path, timeout: float = 60) -> None:
    """Until `service` answers `ping`; fails with the end of its log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with ServiceRpcProxy(service, config, timeout=5) as proxy:
                proxy.ping()
                return
        except Exception:
            if time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
                raise AssertionError(f"{service} did not start: {tail}") from None
            time.sleep(0.3)


def stop(*processes: subprocess.Popen[bytes] | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
