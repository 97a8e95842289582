"""A private RabbitMQ node for fault tests and benches: restarted at will, shared with nobody.

The broker on 5672 serves every other test run on the machine; a test that stops the broker
(`stop_app`/`start_app`) must never touch it. This starts `bocage-fault-<n>@localhost` on free
ports, with its own data and logs in a temporary folder and the management plugin (nameko's test
fixtures need it), as a subprocess of the caller. A node starts in about 5-10 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

from tests.sandbox_process import free_port

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


def _bin(name: str) -> str:
    # The Debian wrappers in /usr/sbin switch to the rabbitmq user and drop the environment.
    path = RABBITMQ_BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


@dataclass
class PrivateBroker:
    amqp_port: int = field(default_factory=free_port)
    management_port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bocage-fault-")))
    process: subprocess.Popen[bytes] | None = None

    @property
    def node(self) -> str:
        return f"bocage-fault-{self.amqp_port}@localhost"

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def management_uri(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    def _env(self) -> dict[str, str]:
        conf = self.base / "rabbitmq.conf"
        if not conf.exists():
            conf.write_text(
                f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
                f"management.tcp.ip = 127.0.0.1\n"
                f"management.tcp.port = {self.management_port}\n"
                "loopback_users = none\n"
            )
            (self.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
            (self.base / "rabbitmq-env.conf").write_text("")
        return {
            **os.environ,
            "HOME": str(self.base),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(conf),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.base / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self, timeout: float = 60) -> PrivateBroker:
        if shutil.which("erl") is None and not (RABBITMQ_BIN / "rabbitmq-server").exists():
            raise RuntimeError("RabbitMQ is not installed: apt-get install rabbitmq-server")
        with open(self.base / "server.out", "ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [_bin("rabbitmq-server")],
                env=self._env(),
                cwd=self.base,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(timeout)
        return self

    def ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [_bin("rabbitmqctl"), "-n", self.node, *args],
            env=self._env(),
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the management API answers (it comes up after the AMQP listener)."""
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.management_port}/api/overview",
            headers={"Authorization": "Basic " + b64encode(b"guest:guest").decode()},
        )
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"the private RabbitMQ node {self.node} exited: "
                    + (self.base / "server.out").read_text()[-2000:]
                )
            try:
                with urllib.request.urlopen(request, timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the private RabbitMQ node {self.node} did not start in {timeout} s; "
                        f"see {self.base}/log"
                    ) from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.ctl("stop", timeout=30)
            self.process.wait(timeout=30)
        except (subprocess.SubprocessError, OSError):
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)
