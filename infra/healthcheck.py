"""Container healthchecks: `python -m infra.healthcheck routing|carpool|alerts|gateway`.

Exit 0 when the part answers (a service its `ping` RPC, the gateway its /health), 1 otherwise.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def service_answers(name: str) -> bool:
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")}
    with ClusterRpcProxy(config, timeout=5) as cluster:
        answer = getattr(cluster, name).ping()
    return bool(answer.get("name") == name and answer.get("redis") == "ok")


def gateway_answers() -> bool:
    port = os.environ.get("BOCAGE_GATEWAY_PORT", "8000")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
        return bool(response.status == 200)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m infra.healthcheck routing|carpool|alerts|gateway", file=sys.stderr)
        return 2
    try:
        ok = gateway_answers() if argv[1] == "gateway" else service_answers(argv[1])
    except Exception as error:  # any failure means unhealthy; say why for `docker inspect`
        print(f"{argv[1]} unhealthy: {error}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
