"""Start, inspect and stop the whole system locally (`bocage up | status | down`).

Each part is its own process group, recorded by PID in the run directory, with its own log file,
so `down` stops exactly what `up` started and one part can be stopped alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("routing", "carpool", "alerts")
SERVICE_CLASSES = {
    "routing": "services.routing.service:RoutingService",
    "carpool": "services.carpool.service:CarpoolService",
    "alerts": "services.alerts.service:AlertsService",
}
START_HINTS = {
    "RabbitMQ": "rabbitmq-server -detached  (then: rabbitmq-plugins enable rabbitmq_management), "
    "or: docker compose up -d rabbitmq",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no, '
    "or: docker compose up -d redis",
}


class StackError(Exception):
    """Something the user must fix before the system can run; the text says what."""


@dataclass(frozen=True)
class StackConfig:
    amqp_uri: str
    redis_url: str
    gateway_host: str
    gateway_port: int
    run_dir: Path
    log_dir: Path
    sandbox_port: int
    twilio_env: dict[str, str]  # real credentials from the environment, or empty: the sandbox
    status_port: int = 8091  # the status receiver: the provider's status callbacks go there

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> StackConfig:
        env = dict(os.environ if environ is None else environ)
        var = Path(env.get("BOCAGE_VAR_DIR", REPO_ROOT / "var"))
        try:
            port = int(env.get("BOCAGE_GATEWAY_PORT", "8000"))
            sandbox_port = int(env.get("BOCAGE_SANDBOX_PORT", "8099"))
            status_port = int(env.get("BOCAGE_STATUS_PORT", "8091"))
        except ValueError:
            raise StackError(
                "BOCAGE_GATEWAY_PORT, BOCAGE_SANDBOX_PORT and BOCAGE_STATUS_PORT are port numbers"
            ) from None
        twilio_env = {
            name: env[name]
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_BASE_URL")
            if env.get(name)
        }
        if twilio_env and not {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"} <= twilio_env.keys():
            raise StackError("set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither")
        return cls(
            amqp_uri=env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            redis_url=env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            gateway_host=env.get("BOCAGE_GATEWAY_HOST", "127.0.0.1"),
            gateway_port=port,
            run_dir=var / "run",
            log_dir=var / "log",
            sandbox_port=sandbox_port,
            twilio_env=twilio_env,
            status_port=status_port,
        )

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    @property
    def uses_sandbox(self) -> bool:
        return not self.twilio_env

    @property
    def status_url(self) -> str:
        return f"http://{self.gateway_host}:{self.status_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def provider_env(self) -> dict[str, str]:
        """What the alerts service needs to reach the SMS/voice provider."""
        # Delivery runs in the asyncio sender process(es), not in the nameko service.
        # Status callbacks, thousands a second in a big campaign, go to the status receiver.
        common = {
            "ALERTS_PUBLIC_BASE_URL": self.gateway_url,
            "ALERTS_DELIVERY": "external",
            "ALERTS_STATUS_BASE_URL": self.status_url,
            "ALERTS_RECEIVER_HOST": self.gateway_host,
            "ALERTS_RECEIVER_PORT": str(self.status_port),
        }
        # CAP validation needs the OASIS schema, which we do not ship: use the shared copy where
        # it is (development machines), else ALERTS_CAP_SCHEMA must name one.
        shared_xsd = REPO_ROOT.parent / "shared" / "data" / "cap" / "CAP-v1.2.xsd"
        if shared_xsd.is_file():
            common["ALERTS_CAP_SCHEMA"] = str(shared_xsd)
        if not self.uses_sandbox:
            return {**self.twilio_env, **common}
        from infra.twilio_sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

        return {
            "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
            "TWILIO_BASE_URL": self.sandbox_url,
            "SANDBOX_INBOUND_WEBHOOK": f"{self.gateway_url}/webhooks/twilio/inbound",
            **common,
        }

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "bocage.json"


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def _tcp_open(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout):
            return True
    except OSError:
        return False


def check_dependencies(config: StackConfig) -> None:
    """Fail with a plain message naming what is unreachable, where, and how to start it."""
    problems = []
    amqp = urlsplit(config.amqp_uri)
    if not _tcp_open(amqp.hostname or "127.0.0.1", amqp.port or 5672):
        problems.append(
            f"RabbitMQ is not reachable at {_redacted(config.amqp_uri)}. "
            f"Start it with: {START_HINTS['RabbitMQ']}"
        )
    else:
        from kombu import Connection

        try:
            with Connection(config.amqp_uri, connect_timeout=3) as connection:
                connection.ensure_connection(max_retries=1)
        except Exception as error:  # kombu raises several types; the message is what matters
            problems.append(
                f"RabbitMQ at {_redacted(config.amqp_uri)} refused the connection: {error}"
            )
    redis_parts = urlsplit(config.redis_url)
    if not _tcp_open(redis_parts.hostname or "127.0.0.1", redis_parts.port or 6379):
        problems.append(
            f"Redis is not reachable at {_redacted(config.redis_url)}. "
            f"Start it with: {START_HINTS['Redis']}"
        )
    if problems:
        raise StackError("\n".join(problems))


def _read_pids(config: StackConfig) -> dict[str, int]:
    try:
        data: dict[str, int] = json.loads(config.pid_file.read_text())
        return data
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_pids(config: StackConfig, pids: dict[str, int]) -> None:
    config.run_dir.mkdir(parents=True, exist_ok=True)
    config.pid_file.write_text(json.dumps(pids, indent=2))


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _part_commands(config: StackConfig) -> dict[str, list[str]]:
    python = sys.executable
    commands: dict[str, list[str]] = {}
    if config.uses_sandbox:
        commands["twilio-sandbox"] = [
            python, "-m", "infra.twilio_sandbox", "--host", "127.0.0.1",
            "--port", str(config.sandbox_port),
        ]  # fmt: skip
    commands |= {
        name: [
            python,
            "-m",
            "nameko",
            "run",
            "--config",
            str(REPO_ROOT / "infra" / "nameko.yaml"),
            SERVICE_CLASSES[name],
        ]
        for name in SERVICES
    }
    # Campaign delivery, outside eventlet, on the SDK's asyncio client (issue 15).
    commands["alerts-sender"] = [python, "-m", "services.alerts.async_sender"]
    # The provider's status callbacks, batched into Redis (issue 14).
    commands["alerts-status"] = [python, "-m", "services.alerts.status_receiver"]
    commands["gateway"] = [
        python,
        "-m",
        "uvicorn",
        "--factory",
        "services.gateway.app:create_app",
        "--host",
        config.gateway_host,
        "--port",
        str(config.gateway_port),
        "--workers",
        "1",
    ]
    return commands


def start_part(config: StackConfig, name: str, command: list[str]) -> int:
    config.log_dir.mkdir(parents=True, exist_ok=True)
    log = open(config.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    env = {
        **os.environ,
        "AMQP_URI": config.amqp_uri,
        "REDIS_URL": config.redis_url,
        "PYTHONUNBUFFERED": "1",
        **config.provider_env(),
    }
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: `down` can stop it and its children
    )
    log.close()
    return process.pid


def fetch_health(config: StackConfig, timeout: float = 3.0) -> tuple[int, dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(f"{config.gateway_url}/health", timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read())
        except ValueError:
            return error.code, {}
    except (OSError, ValueError):
        return None


def running_parts(config: StackConfig) -> dict[str, int]:
    return {name: pid for name, pid in _read_pids(config).items() if is_alive(pid)}


def up(config: StackConfig, *, wait_s: float = 90.0, out: Any = sys.stdout) -> None:
    check_dependencies(config)
    already = running_parts(config)
    if already:
        raise StackError(
            f"Bocage is already running ({', '.join(sorted(already))}); "
            "see `bocage status`, or stop it with `bocage down`"
        )
    if _tcp_open(config.gateway_host, config.gateway_port, timeout=0.5):
        raise StackError(
            f"port {config.gateway_port} on {config.gateway_host} is already in use; "
            "set BOCAGE_GATEWAY_PORT to another port"
        )
    if _tcp_open(config.gateway_host, config.status_port, timeout=0.5):
        raise StackError(
            f"port {config.status_port} (the status receiver) is already in use; "
            "set BOCAGE_STATUS_PORT to another port"
        )
    if config.uses_sandbox and _tcp_open("127.0.0.1", config.sandbox_port, timeout=0.5):
        raise StackError(
            f"port {config.sandbox_port} (the Twilio sandbox) is already in use; "
            "set BOCAGE_SANDBOX_PORT to another port"
        )
    pids: dict[str, int] = {}
    for name, command in _part_commands(config).items():
        pids[name] = start_part(config, name, command)
        _write_pids(config, pids)
    print(f"started {', '.join(pids)}; waiting for {config.gateway_url}/health ...", file=out)
    deadline = time.monotonic() + wait_s
    last: tuple[int, dict[str, Any]] | None = None
    while time.monotonic() < deadline:
        dead = [name for name, pid in pids.items() if not is_alive(pid)]
        if dead:
            down(config, out=open(os.devnull, "w"))  # noqa: SIM115
            raise StackError(
                f"{', '.join(dead)} exited during start-up; see {config.log_dir}/<part>.log"
            )
        last = fetch_health(config)
        if last is not None and last[0] == 200:
            break
        time.sleep(0.5)
    else:
        detail = json.dumps(last[1]) if last else "the gateway did not answer"
        down(config, out=open(os.devnull, "w"))  # noqa: SIM115
        raise StackError(f"the system did not become healthy within {wait_s:.0f} s: {detail}")
    print(f"Bocage is up.\n  gateway   {config.gateway_url}", file=out)
    print(f"  API docs  {config.gateway_url}/docs", file=out)
    print(f"  health    {config.gateway_url}/health", file=out)
    print(f"  status callbacks  {config.status_url}/webhooks/twilio/status", file=out)
    if config.uses_sandbox:
        print(
            f"  SMS/voice {config.sandbox_url}/sandbox/  (Twilio sandbox: no real message leaves)",
            file=out,
        )
    print(f"  logs      {config.log_dir}/", file=out)
    print("Stop it with: bocage down", file=out)


def status(config: StackConfig, out: Any = sys.stdout) -> bool:
    """Print each part's state; True when everything runs and is healthy."""
    recorded = _read_pids(config)
    if not recorded:
        print("Bocage is not running (nothing started by `bocage up`).", file=out)
        return False
    all_ok = True
    for name, pid in recorded.items():
        alive = is_alive(pid)
        all_ok &= alive
        print(f"  {name:<8} pid {pid:<8} {'running' if alive else 'stopped'}", file=out)
    health = fetch_health(config)
    if health is None:
        print(f"  health   {config.gateway_url}/health does not answer", file=out)
        return False
    code, body = health
    print(f"  health   {code} {json.dumps(body)}", file=out)
    return all_ok and code == 200


def stop_part(pid: int, timeout: float = 15.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def down(config: StackConfig, out: Any = sys.stdout, only: str | None = None) -> None:
    pids = _read_pids(config)
    if not pids:
        print("nothing to stop", file=out)
        return
    targets = {only: pids[only]} if only else pids
    for name, pid in list(targets.items()):
        stop_part(pid)
        print(f"stopped {name} (pid {pid})", file=out)
        pids.pop(name)
    if pids:
        _write_pids(config, pids)
    else:
        config.pid_file.unlink(missing_ok=True)
