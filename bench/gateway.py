"""Signed Twilio status callbacks under load: the status receiver against one RPC per callback.

Prints one JSON object. A real campaign is sent through the twilio SDK to our sandbox (its own
callbacks off), then the bench plays the provider: for every recipient a `sent` and a final
status (`delivered`, or `undelivered` for one in a hundred: those go through the alerts
service's own judgement), each signed with the account's token as Twilio signs them, released at
`--rate` per second from one asyncio client over keep-alive connections
(`bench/support/http_load.py`; latencies count from each request's scheduled time).

- `receiver`: `python -m services.alerts.status_receiver` (a bare ASGI app that stores batches
  of statuses in one Redis script) for `--seconds`;
- `rpc_per_callback`: the same callbacks to the gateway's `/webhooks/twilio/status`, which
  forwards each one to the alerts service by RPC, at the same offered rate for
  `--peer-seconds` (it falls behind at once; a full minute of it would only grow the queue).

For each: latency percentiles, answered per second, statuses, and `lost`: callbacks answered 2xx
whose recipient does not show that status once everything settled (the target is 0), and the
CPU per callback of each process that took part. The machine's load average is reported: other
work on the two cores shows in the figures.

Owns a RabbitMQ vhost and two tenants in Redis database 5 (BOCAGE_BENCH_REDIS_URL sets another),
whose keys it removes at the end; flushes nothing.
Usage: python bench/gateway.py [--rate 1000] [--seconds 60] [--peer-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("BOCAGE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")

from bench import alerts as fleet  # noqa: E402
from bench.support.http_load import form_post, run_load  # noqa: E402
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port  # noqa: E402

PATH = "/webhooks/twilio/status"
UNDELIVERED_EVERY = 100


def callbacks_for(
    states: list[Any], tenant: str, campaign_id: str, base: str, host: str
) -> tuple[list[bytes], dict[int, tuple[str, str]]]:
    """Two signed callbacks per recipient, `sent` then its final status, one after the other
    (so they may be handled in either order); and, by the index of each final callback, the
    recipient and the status it must leave."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(AUTH_TOKEN)
    requests: list[bytes] = []
    finals: dict[int, tuple[str, str]] = {}
    for i, state in enumerate(states):
        query = urlencode(
            {"tenant": tenant, "campaign": campaign_id, "message": 1, "key": state.key}
        )
        end = "undelivered" if i % UNDELIVERED_EVERY == 0 else "delivered"
        for status in ("sent", end):
            params = {
                "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "From": "MAIRIE",
                "To": state.e164, "MessageSid": state.sid, "SmsSid": state.sid,
                "MessageStatus": status, "SmsStatus": status,
            }  # fmt: skip
            if status == "undelivered":
                params["ErrorCode"] = "30003"
            signature = validator.compute_signature(f"{base}{PATH}?{query}", params)
            body = urlencode(params).encode()
            if status == end:
                finals[len(requests)] = (state.key, end)
            requests.append(
                form_post(host, f"{PATH}?{query}", body, {"X-Twilio-Signature": signature})
            )
    return requests, finals


def campaign(amqp_uri: str, tenant: str, first: int, n: int) -> tuple[str, list[Any]]:
    """A campaign to n new contacts, sent and accepted by the sandbox; its recipients' states."""
    with fleet.rpc(amqp_uri) as cluster:
        fleet.import_contacts(cluster, tenant, first, n)
        campaign_id, _ = fleet.start_campaign(cluster, tenant)
    deadline = time.monotonic() + 300
    while fleet.recorded_accepted(tenant, campaign_id) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"campaign {campaign_id}: not every message accepted in 300 s")
        time.sleep(0.5)
    store = fleet._store()
    return campaign_id, list(store.states(tenant, campaign_id, 1))


def statuses_now(tenant: str, campaign_id: str) -> dict[str, str]:
    return {state.key: state.status for state in fleet._store().states(tenant, campaign_id, 1)}


def lost_after_settling(
    tenant: str, campaign_id: str, promised: dict[str, str], timeout_s: float
) -> tuple[int, float]:
    """Final statuses answered 2xx (`promised`: recipient key to status) that the recipients do
    not show once the deferred ones have been applied (or at the timeout); and the seconds it
    took to settle."""
    started = time.monotonic()
    while True:
        now = statuses_now(tenant, campaign_id)
        lost = sum(1 for key, status in promised.items() if now.get(key) != status)
        if lost == 0 or time.monotonic() - started > timeout_s:
            return lost, round(time.monotonic() - started, 1)
        time.sleep(0.5)


def wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (a 503 of /health names services this bench does not run)
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer in {timeout_s} s")
        time.sleep(0.2)


def measure(
    requests: list[bytes],
    finals: dict[int, tuple[str, str]],
    port: int,
    rate: float,
    tenant: str,
    campaign_id: str,
    processes: dict[str, int],
) -> dict[str, Any]:
    before = {name: fleet.process_cpu_s(pid) for name, pid in processes.items()}
    redis_before = fleet.redis_cpu_s()
    load_before = os.getloadavg()[0]
    result = asyncio.run(run_load("127.0.0.1", port, requests, rate))
    load_after = os.getloadavg()[0]
    promised = {
        finals[i][0]: finals[i][1]
        for i, status in result.answers.items()
        if i in finals and 200 <= status < 300
    }
    lost, settled_after_s = lost_after_settling(tenant, campaign_id, promised, 60)
    cpu = {name: fleet.process_cpu_s(pid) - before[name] for name, pid in processes.items()}
    cpu["redis"] = fleet.redis_cpu_s() - redis_before
    answered_ok = sum(1 for status in result.answers.values() if 200 <= status < 300)
    return {
        **result.summary(),
        "final_statuses_answered_2xx": len(promised),
        "lost": lost,
        "settled_after_s": settled_after_s,
        "cpu_ms_per_callback": {
            name: round(seconds * 1000 / max(1, answered_ok), 3) for name, seconds in cpu.items()
        },
        "load_avg": [round(load_before, 2), round(load_after, 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--peer-seconds", type=float, default=10.0)
    args = parser.parse_args()

    vhost = f"bench_callbacks_{uuid.uuid4().hex[:8]}"
    fleet.rabbit("PUT", f"/vhosts/{vhost}")
    fleet.rabbit("PUT", f"/permissions/{vhost}/guest", {"configure": ".*", "write": ".*",
                                                        "read": ".*"})  # fmt: skip
    amqp_uri = f"amqp://guest:guest@localhost:5672/{vhost}"
    tenant = fleet.new_tenant()
    logs = Path(tempfile.mkdtemp(prefix="bench-callbacks-"))
    receiver_port, gateway_port = free_port(), free_port()
    receiver_base = f"http://127.0.0.1:{receiver_port}"
    gateway_base = f"http://127.0.0.1:{gateway_port}"
    sandbox = SandboxProcess(free_port(), env={"SANDBOX_CALLBACKS": "off"}).start(
        logs / "sandbox.log"
    )
    common = {"ALERTS_DELIVERY": "external", "ALERTS_PUBLIC_BASE_URL": gateway_base,
              "ALERTS_STATUS_BASE_URL": receiver_base}  # fmt: skip
    service = fleet.AlertsProcess(amqp_uri, sandbox, logs / "alerts.log", **common)
    sender = fleet.AlertsProcess(
        amqp_uri, sandbox, logs / "sender.log", fleet.ASYNC_SENDER, **common
    )
    receiver = fleet.AlertsProcess(
        amqp_uri, sandbox, logs / "receiver.log", ["-m", "services.alerts.status_receiver"],
        ALERTS_RECEIVER_PORT=str(receiver_port), ALERTS_RECEIVER_HOST="127.0.0.1", **common,
    )  # fmt: skip
    gateway = fleet.AlertsProcess(
        amqp_uri, sandbox, logs / "gateway.log",
        ["-m", "uvicorn", "--factory", "services.gateway.app:create_app", "--host",
         "127.0.0.1", "--port", str(gateway_port), "--log-level", "warning", "--no-access-log"],
        BOCAGE_PUBLIC_URL=gateway_base, TWILIO_AUTH_TOKEN="",
    )  # fmt: skip
    parts = [service, sender, receiver, gateway]
    report: dict[str, Any] = {"rate": args.rate, "seconds": args.seconds, "cores": os.cpu_count()}
    try:
        for part in parts:
            part.start()
        fleet.wait_serving(amqp_uri)
        wait_http(f"{receiver_base}/health")
        wait_http(f"{gateway_base}/health")
        n = int(args.rate * args.seconds) // 2
        peer_n = int(args.rate * args.peer_seconds) // 2
        # A tenant each: a campaign reaches every contact of its tenant's commune.
        peer_tenant = fleet.new_tenant()
        ours_id, ours_states = campaign(amqp_uri, tenant, 0, n)
        peer_id, peer_states = campaign(amqp_uri, peer_tenant, n, peer_n)
        sender.stop()  # its work is done: the two cores are for the callbacks
        ours, ours_finals = callbacks_for(
            ours_states, tenant, ours_id, receiver_base, f"127.0.0.1:{receiver_port}"
        )
        peer, peer_finals = callbacks_for(
            peer_states, peer_tenant, peer_id, gateway_base, f"127.0.0.1:{gateway_port}"
        )
        assert service.process and receiver.process and gateway.process
        report["receiver"] = measure(
            ours, ours_finals, receiver_port, args.rate, tenant, ours_id,
            {"receiver": receiver.process.pid, "alerts_service": service.process.pid},
        )  # fmt: skip
        report["rpc_per_callback"] = measure(
            peer, peer_finals, gateway_port, args.rate, peer_tenant, peer_id,
            {"gateway": gateway.process.pid, "alerts_service": service.process.pid},
        )  # fmt: skip
        mine, theirs = report["receiver"], report["rpc_per_callback"]
        if mine["answered_per_s"] and theirs["answered_per_s"]:
            report["answered_per_s_ratio"] = round(
                mine["answered_per_s"] / theirs["answered_per_s"], 1
            )
    finally:
        for part in parts:
            part.stop()
        sandbox.stop()
        fleet.rabbit("DELETE", f"/vhosts/{vhost}")
        fleet.remove_run_keys(vhost)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
