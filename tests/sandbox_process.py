"""The Twilio sandbox in its own process, for tests that need a provider (service, e2e, bench).

A separate process rather than a thread: service tests run under eventlet's monkey patching, which
must not reach the sandbox's asyncio server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_SID = "AC" + "5a" * 16
AUTH_TOKEN = "sandbox-auth-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SandboxProcess:
    port: int
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_path: Path | None = None) -> SandboxProcess:
        env = {
            **os.environ,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            **self.env,
        }
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.twilio_sandbox", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        finally:
            if not isinstance(log, int):
                log.close()  # the child keeps its own copy
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Twilio sandbox exited with {self.process.returncode}")
            try:
                self.get("/sandbox/stats")
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the Twilio sandbox did not start within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, **form: str) -> Any:
        data = urllib.parse.urlencode(form).encode()
        with urllib.request.urlopen(self.base_url + path, data=data, timeout=30) as response:
            body = response.read()
            return json.loads(body) if body else None

    def phone(self, number: str) -> dict[str, Any]:
        return dict(self.get(f"/sandbox/phones/{urllib.parse.quote(number)}"))

    def reset(self) -> None:
        self.post("/sandbox/reset")
