"""Open-loop HTTP/1.1 load from one asyncio process, for benchmarks.

Requests are prepared beforehand (bytes on the wire) and released on a fixed schedule, whatever
the server does; keep-alive connections take them in turn. Each latency counts from the
request's scheduled time, so a server that falls behind shows it in the figures instead of
slowing the client down (no coordinated omission). Requests still unanswered `grace_s` after the
last was due are counted, not waited for.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    offered_rate: float
    sent: int = 0
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    answers: dict[int, int] = field(default_factory=dict)  # request's index: its status
    errors: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    elapsed_s: float = 0.0

    def percentile_ms(self, q: float) -> float | None:
        if not self.latencies_s:
            return None
        ordered = sorted(self.latencies_s)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    def summary(self) -> dict[str, object]:
        answered = len(self.latencies_s)
        return {
            "offered_per_s": self.offered_rate,
            "requests": self.sent,
            "answered": answered,
            "answered_per_s": round(answered / self.elapsed_s, 1) if self.elapsed_s else None,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "unanswered": self.unanswered,
            "latency_ms": {
                "p50": self.percentile_ms(0.50),
                "p90": self.percentile_ms(0.90),
                "p99": self.percentile_ms(0.99),
                "max": round(max(self.latencies_s) * 1000, 1) if self.latencies_s else None,
            },
        }


def form_post(host: str, path_and_query: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path_and_query} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _connection(
    host: str,
    port: int,
    due: asyncio.Queue[tuple[int, float, bytes] | None],
    result: LoadResult,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (item := await due.get()) is not None:
            index, scheduled, request = item
            try:
                writer.write(request)
                status = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                result.errors[type(error).__name__] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            result.latencies_s.append(time.perf_counter() - scheduled)
            result.statuses[status] += 1
            result.answers[index] = status
    finally:
        writer.close()


async def run_load(
    host: str,
    port: int,
    requests: list[bytes],
    rate: float,
    connections: int = 64,
    grace_s: float = 10.0,
) -> LoadResult:
    """Send `requests` at `rate` per second over `connections` keep-alive connections."""
    result = LoadResult(offered_rate=rate)
    due: asyncio.Queue[tuple[int, float, bytes] | None] = asyncio.Queue()
    workers = [
        asyncio.create_task(_connection(host, port, due, result)) for _ in range(connections)
    ]
    await asyncio.sleep(0.2)  # connections open before the clock starts
    start = time.perf_counter()
    for k, request in enumerate(requests):
        scheduled = start + k / rate
        wait = scheduled - time.perf_counter()
        if wait > 0.001:
            await asyncio.sleep(wait)
        due.put_nowait((k, scheduled, request))
        result.sent += 1
    last_due = start + len(requests) / rate
    deadline = last_due + grace_s
    while len(result.latencies_s) + sum(result.errors.values()) < len(requests):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.05)
    result.elapsed_s = max(time.perf_counter(), last_due) - start
    result.unanswered = len(requests) - len(result.latencies_s)
    for _ in workers:
        due.put_nowait(None)
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    return result
