"""In-process fan-out from the event feed's thread to the live streams awaiting on the event loop.

A live stream subscribes to the keys it cares about (a tenant's senior, welfare desk or campaign)
and awaits `Subscription.wait`; the feed thread calls `Hub.publish(key)` for each event it hears.
A wake-up carries no data: the stream then asks the owning service again, with its own caller,
so the service still decides what this user sees (an event never reaches a user unchecked).
Wake-ups coalesce: ten events while a stream is busy cost it one fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Hashable, Iterable

Key = Hashable


class Subscription:
    """One stream's wake-up flag. Thread-safe `notify`; `wait` runs on the stream's loop."""

    def __init__(self, hub: Hub, keys: frozenset[Key]) -> None:
        self._hub = hub
        self.keys = keys
        self._lock = threading.Lock()
        self._pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        with self._lock:
            self._pending = True
            loop, event = self._loop, self._event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop: the stream is gone
                loop.call_soon_threadsafe(event.set)

    async def wait(self, timeout_s: float) -> bool:
        """True if woken by an event (possibly one that came before this call), False when
        `timeout_s` passed without one."""
        with self._lock:
            if self._event is None:
                self._loop = asyncio.get_running_loop()
                self._event = asyncio.Event()
            event = self._event
            if self._pending:
                self._pending = False
                event.clear()
                return True
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            return False
        with self._lock:
            self._pending = False
            event.clear()
        return True

    @property
    def live(self) -> bool:
        """Whether the event feed is bound to the broker (else the stream polls as before)."""
        return self._hub.connected.is_set()

    def close(self) -> None:
        self._hub.unsubscribe(self)


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[Key, set[Subscription]] = {}
        self.connected = threading.Event()  # set while the feed is bound to the broker

    def subscribe(self, keys: Iterable[Key]) -> Subscription:
        subscription = Subscription(self, frozenset(keys))
        with self._lock:
            for key in subscription.keys:
                self._by_key.setdefault(key, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            for key in subscription.keys:
                found = self._by_key.get(key)
                if found is not None:
                    found.discard(subscription)
                    if not found:
                        del self._by_key[key]

    def publish(self, key: Key) -> int:
        """Wake every stream subscribed to `key`; how many."""
        with self._lock:
            targets = list(self._by_key.get(key, ()))
        for subscription in targets:
            subscription.notify()
        return len(targets)

    def wake_all(self) -> None:
        """After the feed reconnects, events may have been missed: every stream looks again."""
        with self._lock:
            targets = {s for subs in self._by_key.values() for s in subs}
        for subscription in targets:
            subscription.notify()

    def subscribers(self) -> int:
        with self._lock:
            return len({s for subs in self._by_key.values() for s in subs})
