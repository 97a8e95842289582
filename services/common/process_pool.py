"""CPU-bound work (OR-Tools solves, big matrices) runs in child processes, never in a worker.

OR-Tools holds the GIL: run inside a nameko worker, a long solve freezes every entrypoint and the
AMQP heartbeats (DESIGN.md). The pool uses the spawn context so children never inherit eventlet's
patched state; the greenlet waits on `future.result()`, which yields under monkey patching.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import resource_tracker
from typing import Any, TypeVar

from nameko.extensions import DependencyProvider

from services.common.settings import load_settings

ResultT = TypeVar("ResultT")


def _plain_os_for_resource_tracker() -> None:
    """multiprocessing's resource tracker must see a broken pipe as an error.

    Under eventlet, a green `os.write` answers EPIPE (the tracker process gone) by waiting for the
    pipe to become writable, forever; the next process spawn then fails with "second simultaneous
    write". With the plain `os` module the tracker notices it is dead and starts a new one. Its
    messages are a few bytes, so a blocking write costs nothing.
    """
    try:
        from eventlet import patcher
    except ImportError:  # not under eventlet: nothing to undo
        return
    if patcher.is_monkey_patched("os"):
        resource_tracker.os = patcher.original("os")  # type: ignore[attr-defined]


def spawn_pool(
    workers: int, initializer: Callable[..., Any] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    _plain_os_for_resource_tracker()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )


def terminate_pool(executor: ProcessPoolExecutor) -> None:
    """Do not wait for a running solve: terminate the children and go."""
    for process in list(getattr(executor, "_processes", {}).values()):
        process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)


class PoolRunner:
    """What a worker sees: submit a picklable function and wait for its result."""

    def __init__(self, executor: ProcessPoolExecutor) -> None:
        self._executor = executor

    def submit(self, fn: Callable[..., ResultT], *args: Any, **kwargs: Any) -> Future[ResultT]:
        return self._executor.submit(fn, *args, **kwargs)

    def run(
        self, fn: Callable[..., ResultT], *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> ResultT:
        return self.submit(fn, *args, **kwargs).result(timeout=timeout)


class ProcessPool(DependencyProvider):  # type: ignore[misc]
    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers
        self.executor: ProcessPoolExecutor | None = None

    def setup(self) -> None:
        workers = self.max_workers or load_settings(self.container.config).process_pool_workers
        self.executor = spawn_pool(workers)

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def kill(self) -> None:
        if self.executor is not None:
            terminate_pool(self.executor)
            self.executor = None

    def get_dependency(self, worker_ctx: Any) -> PoolRunner:
        assert self.executor is not None, "process pool used before setup or after stop"
        return PoolRunner(self.executor)
