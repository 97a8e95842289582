"""The private components bench/faults.py injects its faults into: a RabbitMQ node of its own
(restarted at will), a Redis with the append-only file (`everysec`, as compose runs it) on a free
port, the Twilio sandbox, and the services started and killed with `nameko run`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from nameko.standalone.rpc import ServiceRpcProxy

from tests.private_broker import PrivateBroker
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port

REPO = Path(__file__).resolve().parent.parent.parent


class Stack:
    """The private components, and the services started and killed on them."""

    def __init__(self, base: Path, graph: Path, rate: int) -> None:
        self.base = base
        self.graph = graph
        self.rate = rate
        self.broker = PrivateBroker().start()
        self.redis_port = free_port()
        self.redis_process: subprocess.Popen[bytes] | None = None
        self.start_redis()
        self.sandbox = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"})
        self.sandbox.start(base / "sandbox.log")
        self.config = {"AMQP_URI": self.broker.amqp_uri, "serializer": "json"}
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def start_redis(self, persistence: tuple[str, ...] = ()) -> None:
        args = persistence or ("--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
        (self.base / "redis").mkdir(exist_ok=True)
        self.redis_process = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", str(self.base / "redis"), *args],
            stdout=open(self.base / "redis.log", "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )  # fmt: skip
        until("Redis answers", lambda: _pings(self.redis_url), 20)

    def kill9_redis(self) -> None:
        assert self.redis_process is not None
        os.kill(self.redis_process.pid, signal.SIGKILL)
        self.redis_process.wait(timeout=10)

    def stop_redis(self) -> None:
        if self.redis_process is not None and self.redis_process.poll() is None:
            self.redis_process.terminate()
            self.redis_process.wait(timeout=10)

    def services(self, *modules: str, log: str, **env: str) -> subprocess.Popen[bytes]:
        full = {
            **os.environ, "AMQP_URI": self.broker.amqp_uri, "REDIS_URL": self.redis_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_BASE_URL": self.sandbox.base_url, "ALERTS_SMS_RATE": str(self.rate),
            "ALERTS_LEASE_S": "3", "ALERTS_PROVIDER_TIMEOUT_S": "2",
            "ROUTING_GRAPH": str(self.graph), "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO), **env,
        }  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", "infra/nameko.yaml", *modules],
            cwd=REPO, env=full, stdout=open(self.base / log, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def serving(self, service: str, timeout: float = 90) -> None:
        until(f"{service} answers ping", lambda: self.pings(service), timeout)

    def pings(self, service: str) -> bool:
        try:
            with ServiceRpcProxy(service, self.config, timeout=3) as proxy:
                proxy.ping()
            return True
        except Exception:
            return False

    def proxy(self, service: str, timeout: float = 60) -> Any:
        return ServiceRpcProxy(service, self.config, timeout=timeout)

    def fresh(self) -> None:
        """Between faults: no service left, empty Redis and sandbox."""
        for process in self.processes:
            stop(process)
        self.processes.clear()
        redis.Redis.from_url(self.redis_url).flushall()
        self.sandbox.reset()

    def close(self) -> None:
        for process in self.processes:
            stop(process)
        self.sandbox.stop()
        self.stop_redis()
        self.broker.stop()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def kill9(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.RedisError:
        return False


def until(what: str, check: Callable[[], Any], timeout: float, step: float = 0.1) -> float:
    """Seconds it took for `check` to hold; raises at the deadline."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not so after {timeout:g} s")
        time.sleep(step)
    return time.monotonic() - started
