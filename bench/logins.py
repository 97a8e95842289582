"""Memory of concurrent password checks: the gateway's hashing against argon2-cffi's defaults.

Each variant runs in a fresh process (so peak RSS is its own): N threads each verify one
password at once, as N simultaneous logins would. Printed as one JSON object:
- `default_unbounded`: argon2-cffi's defaults (64 MiB, t=3, p=4), no bound: the gateway before;
- `gateway`: `services.gateway.passwords.Passwords` (19 MiB, t=2, p=1, 4 slots, waits for one);
each with the peak RSS (MiB), the wall time of the N checks, and the ratio of the peaks.

Usage: python bench/logins.py [--logins 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, threading, time
sys.path.insert(0, sys.argv[3])
from argon2 import PasswordHasher
from services.gateway.passwords import Passwords
variant, logins = sys.argv[1], int(sys.argv[2])
if variant == "gateway":
    passwords = Passwords(concurrency=4, wait_s=600)
    stored, verify = passwords.hash("a long enough password"), passwords.verify
else:
    hasher = PasswordHasher()
    stored = hasher.hash("a long enough password")
    def verify(h, p):
        return hasher.verify(h, p)
start = threading.Barrier(logins)
def login():
    start.wait()
    verify(stored, "a long enough password")
threads = [threading.Thread(target=login) for _ in range(logins)]
began = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - began
peak_kib = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"peak_rss_mib": round(peak_kib / 1024, 1), "seconds": round(elapsed, 2)}))
"""


def run(variant: str, logins: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, variant, str(logins), str(REPO_ROOT)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=20)
    args = parser.parse_args()
    before = run("default_unbounded", args.logins)
    after = run("gateway", args.logins)
    print(
        json.dumps(
            {
                "concurrent_logins": args.logins,
                "default_unbounded": before,
                "gateway": after,
                "peak_ratio": round(before["peak_rss_mib"] / after["peak_rss_mib"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
