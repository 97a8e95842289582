"""What the alerts service tests share: waiting for a started service, a campaign to PEOPLE
residents of Bailleul, how far it has got, and its report's rows."""

from __future__ import annotations

import base64
import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from nameko.standalone.rpc import ServiceRpcProxy

from tests.callers import DISPATCHER
from tests.sandbox_process import ACCOUNT_SID, AUTH_TOKEN, REPO_ROOT, SandboxProcess

HEADER = "nom;prénom;téléphone;commune;vulnérable;date consentement"
NAMEKO_ALERTS = ["-m", "nameko", "run", "--config", "infra/nameko.yaml",
                 "services.alerts.service:AlertsService"]  # fmt: skip
ASYNC_SENDER = ["-m", "services.alerts.async_sender"]


def start_alerts(
    config: dict[str, Any],
    sandbox: SandboxProcess,
    log: Path,
    command: list[str] = NAMEKO_ALERTS,
    **env: str,
) -> subprocess.Popen[bytes]:
    """An alerts process (the nameko service, or `command`) on the config's vhost and Redis,
    sending to the sandbox, with `env` on top; its output appended to `log`."""
    full_env = {
        **os.environ,
        "AMQP_URI": str(config["AMQP_URI"]),
        "REDIS_URL": str(config["REDIS_URL"]),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": sandbox.base_url,
        **env,
    }
    with open(log, "ab") as output:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, *command],
            cwd=REPO_ROOT, env=full_env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip


def wait_until_serving(config: dict[str, Any], log: Path) -> None:
    """Until `alerts` answers a ping (60 s at most; the log's end says why not)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with ServiceRpcProxy("alerts", config, timeout=5) as alerts:
                alerts.ping()
                return
        except Exception:
            if time.monotonic() > deadline:
                raise AssertionError("alerts did not start: " + log.read_text()[-2000:]) from None
            time.sleep(0.3)


def send_to_people(alerts: Any, tenant: str, people: int, mobile_prefix: str) -> str:
    """Imports `people` residents of Bailleul (`mobile_prefix` + 00 xx xx, distinct per test),
    sends them one SMS campaign and returns its id."""
    rows = [
        f"P{i};Pers;{mobile_prefix} 00 {i // 100:02d} {i % 100:02d};59043;non;01/02/2025"
        for i in range(people)
    ]
    encoded = base64.b64encode((HEADER + "\n" + "\n".join(rows)).encode()).decode()
    report = alerts.import_contacts(tenant, DISPATCHER, encoded, {"59043": "Bailleul"})
    assert report["imported"] == people
    request = {
        "title": "Test",
        "message": "Exercice : ceci est un test.",
        "severity": "information",
        "target": {"communes": ["59043"]},
        "channels": ["sms"],
    }
    campaign_id: str = alerts.create_campaign(tenant, DISPATCHER, request)["campaign_id"]
    alerts.send_campaign(tenant, DISPATCHER, campaign_id)
    return campaign_id


# A vulnerable resident on a landline (called, "press 1") and a resident with a mobile (SMS).
MARIE_AND_LOUIS = """nom;prénom;téléphone;commune;vulnérable;date consentement
Deboudt;Marie;03 28 00 00 03;Bailleul;oui;01/02/2025
Verhaeghe;Louis;06 12 00 00 07;Bailleul;non;01/02/2025
"""
MARIE, LOUIS = "+33328000003", "+33612000007"


def send_flood_alert(alerts: Any, tenant: str, people_csv: str = MARIE_AND_LOUIS) -> str:
    """Imports the residents, sends them an emergency by SMS and voice; returns its id."""
    encoded = base64.b64encode(people_csv.encode()).decode()
    alerts.import_contacts(tenant, DISPATCHER, encoded, {"59043": "Bailleul"})
    request = {"title": "Crue", "message": "Crue de la Lys.", "severity": "emergency",
               "target": {"communes": ["59043"]}, "channels": ["sms", "voice"]}  # fmt: skip
    campaign_id: str = alerts.create_campaign(tenant, DISPATCHER, request)["campaign_id"]
    alerts.send_campaign(tenant, DISPATCHER, campaign_id)
    return campaign_id


def campaign_view(alerts: Any, tenant: str, campaign_id: str) -> dict[str, Any]:
    return dict(alerts.get_campaign(tenant, DISPATCHER, campaign_id))


def accepted(view: dict[str, Any]) -> int:
    """How many recipients the provider has accepted, in a campaign's view."""
    return int(view["progress"][0]["by_status"].get("accepted", 0))


def status(view: dict[str, Any]) -> str:
    """A campaign's status (draft, sending, sent...), in its view."""
    return str(view["campaign"]["status"])


def wait_until_accepted(alerts: Any, tenant: str, campaign_id: str, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while accepted(campaign_view(alerts, tenant, campaign_id)) < at_least:
        assert time.monotonic() < deadline, "sending did not start"
        time.sleep(0.05)


def wait_until_sent(
    alerts: Any, tenant: str, campaign_id: str, timeout_s: float = 120
) -> dict[str, Any]:
    """The campaign's view once it is `sent`; fails with its progress if it never gets there."""
    deadline = time.monotonic() + timeout_s
    while status(view := campaign_view(alerts, tenant, campaign_id)) != "sent":
        if time.monotonic() > deadline:
            raise AssertionError(f"the campaign did not finish: {view['progress']}")
        time.sleep(0.3)
    return view


def report_rows(alerts: Any, tenant: str, campaign_id: str) -> dict[str, dict[str, str]]:
    """The campaign's report.csv as the dispatcher downloads it, by "phone:channel"."""
    report = alerts.campaign_report(tenant, DISPATCHER, campaign_id)
    return {f"{r['phone']}:{r['channel']}": r for r in csv.DictReader(io.StringIO(report))}


def kill_9_a_third_of_the_way(
    alerts: Any, tenant: str, campaign_id: str, people: int, victim: subprocess.Popen[bytes]
) -> dict[str, Any]:
    """Once a third of the campaign is accepted, kill -9 `victim`; the campaign's view once
    every message has left (the survivors take its share over)."""
    wait_until_accepted(alerts, tenant, campaign_id, people // 3)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    return wait_until_sent(alerts, tenant, campaign_id)
