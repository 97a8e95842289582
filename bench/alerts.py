"""Alert fan-out: the alerts service sending through the twilio SDK to our Twilio sandbox.

Prints one JSON object:
- `fanout`: N recipients, no provider limit: seconds from `send_campaign` until every message is
  accepted by the provider, and the rate; the peer is plain sequential SDK calls
  (`client.messages.create` in a loop) measured in the same run on a sample and extrapolated to N.
  The same loop with the environment read once gives the CPU the SDK and the sandbox spend per
  message: N times that over the machine's cores is a floor no sender here can go under.
  `cpu_ms_per_message` splits the CPU: the senders (of which `sdk_estimated` is what the SDK
  alone spends per message on the same client, measured on the same sandbox, and
  `bocage_estimated` the rest), the RPC service (the freeze of the recipients, progress reads),
  the sandbox, and the Redis server (shared with anything else using it).
- `inline`: the same with the nameko (eventlet) senders, on `--inline-recipients`, same run.
- `rate_limited`: with a provider limit R (segments/s, enforced by the sandbox, configured in our
  sender), the achieved rate over the steady part of the run and its deviation from R.
- `fault`: kill -9 of the alerts service half-way through a campaign, restart; how many recipients
  got 0, 1 or more messages (the target is: all exactly 1).

Uses Redis database 3 (BOCAGE_BENCH_REDIS_URL sets another; only this run's keys are removed at
the end, nothing is flushed) and a RabbitMQ
vhost of its own. The machine's load average is reported at the start and end of each fan-out:
other work on the two cores shows in the figures. BOCAGE_BENCH_PROFILE=/tmp/x writes a cProfile
of each asyncio sender to /tmp/x-<i>.prof.
Usage: python bench/alerts.py [--recipients 100000] [--inline-recipients 20000] [--rate 100]
       [--fault-recipients 20000] [--skip fanout inline rate fault]
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.callers import DISPATCHER  # noqa: E402
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port  # noqa: E402

REDIS_URL = os.environ.get("BOCAGE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
RABBIT_API = "http://127.0.0.1:15672/api"
MESSAGE = "Exercice d'alerte : ceci est un test, aucune action n'est requise."  # GSM-7, 1 segment


def rabbit(method: str, path: str, body: dict[str, Any] | None = None) -> None:
    request = urllib.request.Request(
        f"{RABBIT_API}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json", "authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="},
    )
    urllib.request.urlopen(request, timeout=10).close()


TENANTS: list[str] = []  # this run's, removed from Redis at the end


def new_tenant() -> str:
    TENANTS.append(f"bench-{uuid.uuid4().hex[:6]}")
    return TENANTS[-1]


def remove_run_keys(vhost: str) -> None:
    """This run's keys only: the database may hold other work."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for pattern in [*(f"alerts:{t}:*" for t in TENANTS), f"alerts:_:{vhost}:*"]:
        batch = list(client.scan_iter(pattern, count=5000))
        for start in range(0, len(batch), 5000):
            client.unlink(*batch[start : start + 5000])


def phone(i: int) -> str:
    return f"+3361{i:07d}"


NAMEKO_ALERTS = ["-m", "nameko", "run", "--config", "infra/nameko.yaml",
                 "services.alerts.service:AlertsService"]  # fmt: skip
ASYNC_SENDER = ["-m", "services.alerts.async_sender"]


def async_sender_command(i: int) -> list[str]:
    """With BOCAGE_BENCH_PROFILE=prefix, each sender runs under cProfile (stats at its exit)."""
    prefix = os.environ.get("BOCAGE_BENCH_PROFILE")
    if not prefix:
        return ASYNC_SENDER
    return ["-m", "cProfile", "-o", f"{prefix}-{i}.prof", *ASYNC_SENDER]


class AlertsProcess:
    def __init__(
        self,
        amqp_uri: str,
        sandbox: SandboxProcess,
        log: Path,
        command: list[str] = NAMEKO_ALERTS,
        **env: str,
    ) -> None:
        self.command = command
        self.env = {
            **os.environ,
            "AMQP_URI": amqp_uri,
            "REDIS_URL": REDIS_URL,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_BASE_URL": sandbox.base_url,
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *self.command],
            cwd=REPO_ROOT, env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )  # fmt: skip

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def rpc(amqp_uri: str) -> Any:
    from nameko.standalone.rpc import ClusterRpcProxy

    return ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=600)


def wait_serving(amqp_uri: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with rpc(amqp_uri) as cluster:
                cluster.alerts.ping()
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def import_contacts(cluster: Any, tenant: str, first: int, count: int) -> float:
    started = time.perf_counter()
    for start in range(first, first + count, 25_000):
        stop = min(first + count, start + 25_000)
        rows = "\n".join(f"P{i};Bench;{phone(i)};59043;non;01/02/2025" for i in range(start, stop))
        csv_text = "nom;prénom;téléphone;commune;vulnérable;date consentement\n" + rows
        encoded = base64.b64encode(csv_text.encode()).decode()
        report = cluster.alerts.import_contacts(tenant, DISPATCHER, encoded, {"59043": "Bailleul"})
        assert report["rejected"] == 0, report["rows"][:3]
    return time.perf_counter() - started


def accepted(cluster: Any, tenant: str, campaign_id: str) -> int:
    view = cluster.alerts.get_campaign(tenant, DISPATCHER, campaign_id)
    return int(view["progress"][0]["by_status"].get("accepted", 0))


def recorded_accepted(tenant: str, campaign_id: str) -> int:
    """The same count read straight from Redis: polling it costs the services nothing (an RPC
    every 0.25 s competes with the senders, and once hung the whole run on a loaded machine)."""
    return _store().counts(tenant, campaign_id, 1)[1].get("accepted", 0)


@functools.cache
def _store() -> Any:
    import redis

    from services.alerts.store import AlertsStore
    from services.common.settings import Settings

    return AlertsStore(redis.Redis.from_url(REDIS_URL, decode_responses=True), Settings())


def start_campaign(cluster: Any, tenant: str) -> tuple[str, float]:
    request = {
        "title": "Exercice",
        "message": MESSAGE,
        "severity": "information",
        "target": {"communes": ["59043"]},
        "channels": ["sms"],
    }
    campaign_id = cluster.alerts.create_campaign(tenant, DISPATCHER, request)["campaign_id"]
    started = time.perf_counter()
    cluster.alerts.send_campaign(tenant, DISPATCHER, campaign_id)
    return campaign_id, started


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sequential_sdk(sandbox: SandboxProcess, sample: int, *, env_once: bool) -> dict[str, Any]:
    """`client.messages.create` in a loop; with `env_once`, the HTTP session our channel uses
    (proxy settings read once), otherwise the SDK exactly as its README shows it."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    http_client = TwilioHttpClient(pool_connections=True)
    if env_once and http_client.session is not None:
        http_client.session.trust_env = False
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http_client)
    client.api.base_url = sandbox.base_url
    assert sandbox.process is not None
    provider_cpu = process_cpu_s(sandbox.process.pid)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(sample):
        client.messages.create(to=phone(900_000 + i), from_="MAIRIE", body=MESSAGE)
    seconds = time.perf_counter() - started
    client_ms = 1000 * (time.process_time() - cpu) / sample
    provider_ms = 1000 * (process_cpu_s(sandbox.process.pid) - provider_cpu) / sample
    return {
        "sample": sample,
        "seconds": round(seconds, 2),
        "per_second": round(sample / seconds, 1),
        "sdk_cpu_ms_per_message": round(client_ms, 3),
        "sandbox_cpu_ms_per_message": round(provider_ms, 3),
    }


def async_sdk(sandbox: SandboxProcess, sample: int, concurrency: int) -> dict[str, Any]:
    """`messages.create_async` on the SDK's asyncio client, `concurrency` at a time: the CPU
    the SDK alone spends per message, to split the sender's CPU between Bocage and the SDK."""
    import asyncio

    from services.alerts.channels.twilio import TwilioSettings
    from services.alerts.channels.twilio_async import AsyncTwilioChannel

    settings = TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, "MAIRIE", "+33300000000",
                              base_url=sandbox.base_url, max_connections=concurrency)  # fmt: skip

    async def run() -> float:
        channel = await AsyncTwilioChannel.open(settings)
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                await channel.send_sms(phone(800_000 + i), MESSAGE, None)

        cpu = time.process_time()
        await asyncio.gather(*(one(i) for i in range(sample)))
        used = time.process_time() - cpu
        await channel.close()
        return used

    assert sandbox.process is not None
    provider_cpu = process_cpu_s(sandbox.process.pid)
    started = time.perf_counter()
    client_s = asyncio.run(run())
    seconds = time.perf_counter() - started
    return {
        "sample": sample,
        "concurrency": concurrency,
        "per_second": round(sample / seconds, 1),
        "sdk_cpu_ms_per_message": round(1000 * client_s / sample, 3),
        "sandbox_cpu_ms_per_message": round(
            1000 * (process_cpu_s(sandbox.process.pid) - provider_cpu) / sample, 3
        ),
    }


def redis_cpu_s() -> float:
    """CPU seconds the Redis server has used (shared with whatever else uses it)."""
    import redis

    info = redis.Redis.from_url(REDIS_URL).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def fanout(
    amqp_uri: str,
    logs: Path,
    n: int,
    sample: int,
    instances: int,
    delivery: str,
    peers: bool = True,
    concurrency: int = 128,
) -> dict[str, Any]:
    """`peers`: also measure the plain SDK loops on the same sandbox (after the senders)."""
    sandbox = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"}).start(
        logs / f"sb-{delivery}.log"
    )
    # Several instances share the work through Redis (claims are atomic), as in production.
    if delivery == "asyncio":
        rpc_only = AlertsProcess(
            amqp_uri, sandbox, logs / "alerts-rpc.log", ALERTS_DELIVERY="external"
        )
        senders = [
            AlertsProcess(amqp_uri, sandbox, logs / f"sender-{i}.log", async_sender_command(i),
                          ALERTS_SENDER_CONCURRENCY=str(concurrency))
            for i in range(instances)
        ]  # fmt: skip
        fleet = [rpc_only, *senders]
    else:
        senders = [
            AlertsProcess(amqp_uri, sandbox, logs / f"alerts-fanout-{i}.log")
            for i in range(instances)
        ]
        fleet = senders
    try:
        for alerts in fleet:
            alerts.start()
        wait_serving(amqp_uri)
        with rpc(amqp_uri) as cluster:
            tenant = new_tenant()
            import_s = import_contacts(cluster, tenant, 0, n)
            assert sandbox.process is not None
            cpu_before = {a: process_cpu_s(a.process.pid) for a in fleet if a.process}
            sandbox_before = process_cpu_s(sandbox.process.pid)
            redis_before = redis_cpu_s()
            load_before = os.getloadavg()
            campaign_id, started = start_campaign(cluster, tenant)
            frozen = time.perf_counter() - started
            while recorded_accepted(tenant, campaign_id) < n:
                time.sleep(0.25)
            seconds = time.perf_counter() - started
            sender_cpu_s = sum(
                process_cpu_s(a.process.pid) - cpu_before[a] for a in senders if a.process
            )
            rpc_cpu_s = sum(
                process_cpu_s(a.process.pid) - cpu_before[a]
                for a in fleet
                if a.process and a not in senders
            )
            sandbox_cpu_s = process_cpu_s(sandbox.process.pid) - sandbox_before
            redis_s = redis_cpu_s() - redis_before
            load = os.getloadavg()
            assert accepted(cluster, tenant, campaign_id) == n  # as the service reports it
        stats = sandbox.get("/sandbox/stats")
        for alerts in fleet:
            alerts.stop()  # the peers run alone
        if peers:
            peer = sequential_sdk(sandbox, sample, env_once=False)
            tuned = sequential_sdk(sandbox, sample, env_once=True)
            concurrent = async_sdk(sandbox, sample, 50)
    finally:
        for alerts in fleet:
            alerts.stop()
        sandbox.stop()
    figures = {
        "recipients": n,
        "delivery": delivery,
        "sender_instances": instances,
        "sender_concurrency": concurrency if delivery == "asyncio" else None,
        "load_average_at_start": [round(x, 1) for x in load_before],
        "load_average_at_end": [round(x, 1) for x in load],
        "contacts_import_s": round(import_s, 1),
        "send_call_s": round(frozen, 2),
        "seconds_until_all_accepted": round(seconds, 1),
        "per_second": round(n / seconds, 1),
        "provider_messages": stats["messages"],
        "cpu_ms_per_message": {
            "senders_total": round(1000 * sender_cpu_s / n, 3),
            "rpc_service_freeze_and_progress": round(1000 * rpc_cpu_s / n, 3),
            "sandbox": round(1000 * sandbox_cpu_s / n, 3),
            "redis_server_shared": round(1000 * redis_s / n, 3),
        },
    }
    if not peers:
        return figures
    peer_seconds = n / peer["per_second"]
    # No sender on this machine can beat the CPU that the SDK and the provider spend per message,
    # spread over every core: the floor for N, whatever the design.
    floor_ms = tuned["sdk_cpu_ms_per_message"] + tuned["sandbox_cpu_ms_per_message"]
    floor_s = n * floor_ms / 1000 / (os.cpu_count() or 1)
    sender_ms = 1000 * sender_cpu_s / n
    # The SDK's share of the senders' CPU: what the SDK alone spends per message on the same
    # client (asyncio at concurrency 50, or the synchronous one), measured on the same sandbox.
    sdk_ms = (
        concurrent["sdk_cpu_ms_per_message"]
        if delivery == "asyncio"
        else tuned["sdk_cpu_ms_per_message"]
    )
    figures["cpu_ms_per_message"].update(
        sdk_estimated=round(sdk_ms, 3), bocage_estimated=round(sender_ms - sdk_ms, 3)
    )
    return {
        **figures,
        "async_sdk_concurrency_50": concurrent,
        "sequential_sdk": {**peer, "extrapolated_seconds_for_n": round(peer_seconds, 1)},
        "sequential_sdk_env_read_once": tuned,
        "speedup_vs_sequential": round(peer_seconds / seconds, 2),
        "cpu_floor_seconds_for_n": round(floor_s, 1),
        "share_of_floor": round(floor_s / seconds, 2),
        "target_le_60_s": seconds <= 60,
        "professional_reference_per_second": 92,
    }


def rate_limited(amqp_uri: str, logs: Path, rate: float, seconds: float) -> dict[str, Any]:
    n = int(rate * seconds)
    sandbox = SandboxProcess(
        free_port(), env={"SANDBOX_CALLBACKS": "off", "SANDBOX_RATE_LIMIT": str(rate)}
    ).start(logs / "sb-rate.log")
    alerts = AlertsProcess(amqp_uri, sandbox, logs / "alerts-rate.log", ALERTS_SMS_RATE=str(rate))
    try:
        alerts.start()
        wait_serving(amqp_uri)
        with rpc(amqp_uri) as cluster:
            tenant = new_tenant()
            import_contacts(cluster, tenant, 200_000, n)
            campaign_id, _ = start_campaign(cluster, tenant)
            samples: list[tuple[float, int]] = []
            while True:
                done = accepted(cluster, tenant, campaign_id)
                samples.append((time.perf_counter(), done))
                if done >= n:
                    break
                time.sleep(0.5)
        refused = sandbox.get("/sandbox/requests")
    finally:
        alerts.stop()
        sandbox.stop()
    # The steady part: from 10 % to 90 % of the messages, away from start-up and the tail.
    low = next(s for s in samples if s[1] >= n * 0.1)
    high = next(s for s in samples if s[1] >= n * 0.9)
    achieved = (high[1] - low[1]) / (high[0] - low[0])
    return {
        "limit_per_second": rate,
        "recipients": n,
        "achieved_per_second": round(achieved, 1),
        "deviation_pct": round(100 * (achieved - rate) / rate, 1),
        "within_5_pct": abs(achieved - rate) <= 0.05 * rate,
        "requests_seen_by_provider": len(refused),
    }


def fault(amqp_uri: str, logs: Path, n: int) -> dict[str, Any]:
    sandbox = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"}).start(logs / "sb-f.log")
    first = AlertsProcess(amqp_uri, sandbox, logs / "alerts-fault-1.log")
    second = AlertsProcess(amqp_uri, sandbox, logs / "alerts-fault-2.log")
    try:
        first.start()
        wait_serving(amqp_uri)
        with rpc(amqp_uri) as cluster:
            tenant = new_tenant()
            import_contacts(cluster, tenant, 400_000, n)
            campaign_id, started = start_campaign(cluster, tenant)
            while accepted(cluster, tenant, campaign_id) < n // 2:
                time.sleep(0.05)
            first.kill9()
            # Nobody answers RPC until the restart: read what was accepted once it is back.
            second.start()
            wait_serving(amqp_uri)
            killed_at = accepted(cluster, tenant, campaign_id)
            deadline = time.monotonic() + 600
            while accepted(cluster, tenant, campaign_id) < n and time.monotonic() < deadline:
                time.sleep(0.25)
            seconds = time.perf_counter() - started
            final = cluster.alerts.get_campaign(tenant, DISPATCHER, campaign_id)["progress"][0]
        stats = sandbox.get("/sandbox/stats")
    finally:
        first.stop()
        second.stop()
        sandbox.stop()
    per_phone = stats["phones_by_messages_received"]
    return {
        "recipients": n,
        "accepted_when_restarted": killed_at,
        "seconds_including_restart": round(seconds, 1),
        "final_statuses": final["by_status"],
        "provider_messages": stats["messages"],
        "phones_by_messages_received": per_phone,
        "every_recipient_exactly_once": per_phone == {"1": n},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--sequential-sample", type=int, default=2_000)
    parser.add_argument("--instances", type=int, default=2, help="sender instances")
    parser.add_argument(
        "--concurrency", type=int, default=128, help="requests in flight per asyncio sender"
    )
    parser.add_argument("--delivery", choices=["asyncio", "inline"], default="asyncio")
    parser.add_argument(
        "--inline-recipients",
        type=int,
        default=20_000,
        help="the nameko (inline) sender measured in the same run on this many; 0: not run",
    )
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--rate-seconds", type=float, default=20.0)
    parser.add_argument("--fault-recipients", type=int, default=20_000)
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["fanout", "inline", "rate", "fault"]
    )
    args = parser.parse_args()

    vhost = f"bocage-bench-{uuid.uuid4().hex[:6]}"
    rabbit("PUT", f"/vhosts/{vhost}")
    rabbit("PUT", f"/permissions/{vhost}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    logs = REPO_ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"machine_cores": os.cpu_count()}
    runs: dict[str, Callable[[], dict[str, Any]]] = {
        "fanout": lambda: fanout(
            amqp_uri,
            logs,
            args.recipients,
            args.sequential_sample,
            args.instances,
            args.delivery,
            concurrency=args.concurrency,
        ),
        "inline": lambda: fanout(
            amqp_uri, logs, args.inline_recipients, 0, args.instances, "inline", peers=False
        ),
        "rate_limited": lambda: rate_limited(amqp_uri, logs, args.rate, args.rate_seconds),
        "fault": lambda: fault(amqp_uri, logs, args.fault_recipients),
    }
    try:
        for name, run in runs.items():
            if name.split("_")[0] in args.skip:
                continue
            if name == "inline" and (args.delivery == "inline" or not args.inline_recipients):
                continue
            try:
                result[name] = run()
            except Exception as error:  # one failed run must not hide the others' figures
                result[name] = {"error": f"{type(error).__name__}: {error}"}
    finally:
        rabbit("DELETE", f"/vhosts/{vhost}")
        remove_run_keys(vhost)
    fast, inline = result.get("fanout", {}), result.get("inline", {})
    if "per_second" in fast and "per_second" in inline:
        result["asyncio_vs_inline_rate"] = round(fast["per_second"] / inline["per_second"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
