"""Carpool by SMS through the whole stack: round trips per second, inbound text → options SMS.

    .venv/bin/python bench/carpool_sms.py [--phones 60] [--rides 20]

Starts the Twilio sandbox, routing + alerts + carpool (`nameko run`, on a RabbitMQ vhost of its
own, the real Kempen graph) and the gateway (uvicorn). Virtual phones text
`COVOIT Zoersel Pulle demain 8h` to our number all at once; the sandbox posts each text, signed,
to the gateway's webhook; alerts publishes it, carpool searches and answers through alerts and the
twilio SDK back to the sandbox. A round trip ends when the phone's inbox holds the options.
Measured against nothing but itself (there is no peer to race); prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import redis
import uvicorn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from contracts.users import Role, UserCreate  # noqa: E402
from services.gateway.app import create_app  # noqa: E402
from services.gateway.auth import create_user  # noqa: E402
from services.gateway.settings import GatewaySettings  # noqa: E402
from services.gateway.users import UserStore  # noqa: E402
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, SandboxProcess, free_port  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RABBIT_API = "http://127.0.0.1:15672/api"
PASSWORD = "a long enough password"
PLACES = "name,lat,lon\nZoersel,51.2667,4.7125\nPulle,51.2480,4.8420\n"


def rabbit(method: str, path: str, body: dict[str, Any] | None = None) -> None:
    httpx.request(method, f"{RABBIT_API}{path}", json=body, auth=("guest", "guest"), timeout=10)


def graph() -> Path:
    found = sorted((REPO / "var" / "graphs").glob("flanders-kempen-2013_drive-*.npz"))
    if not found:
        raise SystemExit("no Kempen graph: run `make graph` (bocage graph build) first")
    return found[-1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=60)
    parser.add_argument("--rides", type=int, default=20)
    args = parser.parse_args()
    vhost = f"bocage-bench-sms-{uuid.uuid4().hex[:6]}"
    rabbit("PUT", f"/vhosts/{vhost}")
    rabbit("PUT", f"/permissions/{vhost}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    port = free_port()
    logs = REPO / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxProcess(
        free_port(),
        env={"SANDBOX_INBOUND_WEBHOOK": f"http://127.0.0.1:{port}/webhooks/twilio/inbound",
             "SANDBOX_CALLBACKS": "off"},
    ).start(logs / "sms-sandbox.log")  # fmt: skip
    env = {
        **os.environ, "AMQP_URI": amqp, "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox.base_url, "ROUTING_GRAPH": str(graph()),
        "PYTHONPATH": str(REPO),
    }  # fmt: skip
    services = subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", "infra/nameko.yaml",
         "services.routing.service", "services.alerts.service", "services.carpool.service"],
        cwd=REPO, env=env, stdout=open(logs / "sms-services.log", "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(GatewaySettings(amqp_uri=amqp, redis_url=REDIS_URL, tenant=tenant)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        result = run(args, tenant, port, sandbox, client)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        services.terminate()
        services.wait(timeout=30)
        sandbox.stop()
        rabbit("DELETE", f"/vhosts/{vhost}")
        for prefix in ("gateway", "carpool", "alerts"):
            for key in client.scan_iter(f"{prefix}:{tenant}:*", count=1000):
                client.delete(key)
        client.close()
    print(json.dumps(result, indent=1))
    return 0


def run(
    args: argparse.Namespace, tenant: str, port: int, sandbox: SandboxProcess, client: Any
) -> dict[str, Any]:
    users = UserStore(client, tenant)
    for name, role in (("disp", Role.DISPATCHER), ("jan", Role.RESIDENT)):
        create_user(users, UserCreate(username=name, password=PASSWORD, role=role))
    base = f"http://127.0.0.1:{port}"
    tomorrow = dt.datetime.now(ZoneInfo("Europe/Paris")).date() + dt.timedelta(days=1)
    with httpx.Client(base_url=base, timeout=60) as http:
        deadline = time.monotonic() + 90
        while http.get("/health").status_code != 200:
            if time.monotonic() > deadline:
                raise SystemExit("the stack did not become healthy within 90 s")
            time.sleep(0.5)

        def login(name: str) -> dict[str, str]:
            token = http.post("/auth/login", json={"username": name, "password": PASSWORD})
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        http.post("/carpool/places/import", json={"kind": "list", "text": PLACES},
                  headers=login("disp")).raise_for_status()  # fmt: skip
        jan = login("jan")
        for _ in range(args.rides):
            http.post("/carpool/offers", headers=jan, json={
                "origin": [51.2667, 4.7125], "destination": [51.2480, 4.8420],
                "date": tomorrow.isoformat(), "depart_earliest": "07:45",
                "depart_latest": "08:30", "seats": 3, "first_name": "Jan",
            }).raise_for_status()  # fmt: skip

    def round_trip(i: int) -> float:
        phone = f"+3367{i:07d}"
        started = time.perf_counter()
        sandbox.post(
            f"/sandbox/phones/{urllib.parse.quote(phone)}/send",
            Body="COVOIT Zoersel Pulle demain 8h",
        )
        deadline = time.monotonic() + 120
        while not sandbox.phone(phone)["messages"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{phone} got no answer in 120 s")
            time.sleep(0.02)
        return time.perf_counter() - started

    round_trip(9_999_999 - 1)  # warm: the graph in routing's workers, the first proxies
    started = time.perf_counter()
    with ThreadPoolExecutor(min(args.phones, 32)) as pool:
        seconds = list(pool.map(round_trip, range(args.phones)))
    elapsed = time.perf_counter() - started
    answer = sandbox.phone("+3367" + "0" * 7)["messages"][0]["body"]
    return {
        "phones": args.phones,
        "rides_offered": args.rides,
        "elapsed_s": round(elapsed, 2),
        "round_trips_per_s": round(args.phones / elapsed, 2),
        "round_trip_p50_s": round(float(np.percentile(seconds, 50)), 2),
        "round_trip_p95_s": round(float(np.percentile(seconds, 95)), 2),
        "answer_example": answer,
        "machine_cores": os.cpu_count(),
    }


if __name__ == "__main__":
    raise SystemExit(main())
