"""The gateway's OpenAPI fuzzed with schemathesis, as each role, with the real services behind it.

Every check schemathesis has (`--checks all`): no server error, every status and response body as
documented, invalid input refused, valid input accepted, `Allow` headers right... 20 examples
per operation, in the examples and fuzzing phases, and the coverage phase as admin and driver.
A finding is fixed, never excluded; `schemathesis.toml` beside this file states the one thing
the checks are told (a business rule the schema cannot express is a documented 422).

Each role runs against its own gateway and tenant: an admin's run deletes and disables users,
resets passwords and renames the tenant, as an admin may.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from contracts.users import Role
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.conftest import REPO_ROOT
from tests.sandbox_process import free_port

pytestmark = pytest.mark.integration
HERE = Path(__file__).resolve().parent
# Per operation; BOCAGE_FUZZ_EXAMPLES trades depth for time (measured at 20 on a shared, busy
# 2-core machine: admin 256 s, driver 140 s, dispatcher 125 s, mayor 85 s).
EXAMPLES = int(os.environ.get("BOCAGE_FUZZ_EXAMPLES", "20"))
FUZZED_ROLES = (Role.ADMIN, Role.MAYOR, Role.DISPATCHER, Role.DRIVER)
# The coverage phase (boundaries and every kind of invalid value, about 1000 requests) is about
# the request's shape, which the role does not change: it runs as the admin, who reaches every
# operation but two, and as the driver, who reaches those two.
PHASES = {
    Role.ADMIN: "examples,coverage,fuzzing",
    Role.DRIVER: "examples,coverage,fuzzing",
    Role.MAYOR: "examples,fuzzing",
    Role.DISPATCHER: "examples,fuzzing",
}
# Fixed, so a failure replays; set BOCAGE_FUZZ_SEED to explore further.
SEED = os.environ.get("BOCAGE_FUZZ_SEED", "20261130")


@pytest.fixture
def fuzz_gateway(services_amqp_uri: str, redis_url: str, tenant: str) -> Iterator[str]:
    """A uvicorn gateway for this test's tenant. The fuzzer sends hundreds of wrong logins from
    one address: the address lock is set out of its reach (the username locks still apply)."""
    settings = GatewaySettings(
        amqp_uri=services_amqp_uri,
        redis_url=redis_url,
        tenant=tenant,
        address_lock_after=100_000,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="fuzz-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


# A role's run takes minutes (the whole API, twenty examples an operation): its own deadline,
# above the suite's default, so that a slow machine fails this test alone, never the session.
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("role", FUZZED_ROLES, ids=[r.value for r in FUZZED_ROLES])
def test_the_api_fuzzed_as_each_role_has_no_finding(
    role: Role,
    fuzz_gateway: str,
    role_users: dict[Role, str],
    redis_url: str,
    tenant: str,
    tmp_path: Path,
) -> None:
    schemathesis = Path(sys.executable).parent / "schemathesis"
    command = [
        str(schemathesis),
        "--config-file", str(HERE / "schemathesis.toml"),
        "run", f"{fuzz_gateway}/openapi.json",
        "--checks", "all",
        "--max-examples", str(EXAMPLES),
        "--phases", PHASES[role],
        # One worker: with two, hypothesis parses lambdas in two threads at once, which trips
        # CPython 3.11 (`SystemError: AST constructor recursion depth mismatch`).
        "--workers", "1",
        "--seed", SEED,
        "--no-color",
        "--report", "junit",
        "--report-dir", str(tmp_path),
    ]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "SCHEMATHESIS_HOOKS": "tests.integration.gateway.fuzz_hooks",
        "REDIS_URL": redis_url,
        "BOCAGE_TENANT": tenant,
        "FUZZ_ROLE": role.value,
        "FUZZ_USERNAME": role_users[role],
    }
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1700
    )
    report = run.stdout[-12_000:] + run.stderr[-3_000:]
    assert run.returncode == 0, f"schemathesis as {role.value} found problems:\n{report}"
    # The role's session held all along: a 403 is a role refused, a 401 a harness broken.
    assert "401 Unauthorized (" not in run.stdout, f"the fuzzer's session failed:\n{report}"
