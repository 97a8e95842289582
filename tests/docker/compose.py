"""A compose project driven with `docker-compose` (v1, Debian's), each call with its output kept
so that a failure shows what compose and the containers said."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class ComposeError(RuntimeError):
    """A compose command failed; the message holds its output."""


@dataclass
class Compose:
    project: str
    directory: Path
    env: Mapping[str, str]
    files: Sequence[str] = ("docker-compose.yml",)
    log: list[str] = field(default_factory=list)

    def command(self, *args: str) -> list[str]:
        files = [part for name in self.files for part in ("-f", name)]
        return ["docker-compose", "--no-ansi", "-p", self.project, *files, *args]

    def run(
        self, *args: str, input: str | None = None, timeout: float = 600, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.command(*args),
            cwd=self.directory,
            env=dict(self.env),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.log.append(f"$ docker-compose {' '.join(args)} -> {result.returncode}")
        if check and result.returncode != 0:
            raise ComposeError(
                f"docker-compose {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def start(self, *args: str) -> subprocess.Popen[str]:
        """A compose command in the background; `finish` waits for it."""
        self.log.append(f"$ docker-compose {' '.join(args)} &")
        return subprocess.Popen(
            self.command(*args),
            cwd=self.directory,
            env=dict(self.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self, process: subprocess.Popen[str], timeout: float = 600) -> None:
        output, _ = process.communicate(timeout=timeout)
        if process.returncode != 0:
            raise ComposeError(f"{' '.join(map(str, process.args))}:\n{output[-3000:]}")

    def container_id(self, service: str) -> str:
        """The service's container (docker's labels: a tenth of `docker-compose ps`'s time)."""
        listed = subprocess.run(
            ["docker", "ps", "-aq",
             "--filter", f"label=com.docker.compose.project={self.project}",
             "--filter", f"label=com.docker.compose.service={service}",
             "--filter", "label=com.docker.compose.oneoff=False"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return listed.stdout.strip().split("\n")[0]

    def health(self, service: str) -> str:
        """`healthy`, `unhealthy`, `starting`, or `absent` when the container does not exist."""
        container = self.container_id(service)
        if not container:
            return "absent"
        inspected = subprocess.run(
            ["docker", "inspect", "--format", "{{json .State.Health}}", container],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if inspected.returncode != 0:
            return "absent"
        state = json.loads(inspected.stdout or "null") or {}
        return str(state.get("Status", "none"))

    def wait_healthy(self, services: Sequence[str], timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = {service: self.health(service) for service in services}
            if all(state == "healthy" for state in states.values()):
                return
            time.sleep(1)
        logs = self.run("logs", "--tail", "30", check=False).stdout
        raise ComposeError(f"not healthy after {timeout_s:g} s: {states}\n{logs[-6000:]}")

    def published_ports(self, service: str) -> str:
        container = self.container_id(service)
        return subprocess.run(
            ["docker", "port", container], capture_output=True, text=True, timeout=30
        ).stdout.strip()
