"""A per-process cache of each day's ride index (the prefilter's table) and of offers.

Not a guarantee, only a cache: the day's index carries a version in Redis, bumped whenever a
ride is added or leaves the index, and a query reads that one number to know whether its copy is
current, with the road graph it was read for (landmark times from another graph are left out).
Offers never change once made (a ride's state lives in its own hash, always read fresh), so they
are kept as they are, up to `MAX_OFFERS`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from contracts.carpool import Offer
from services.carpool import road_version
from services.carpool.matching.prefilter import RideTable, rows_on_graph
from services.carpool.store import CarpoolStore

MAX_DAYS = 64
MAX_OFFERS = 50_000


class RideIndex:
    def __init__(self) -> None:
        self._days: OrderedDict[tuple[str, str], tuple[str, RideTable]] = OrderedDict()
        self._offers: OrderedDict[tuple[str, str], Offer] = OrderedDict()

    def table(self, store: CarpoolStore, tenant: str, day: str) -> RideTable:
        graph = road_version.current()
        version = f"{store.day_version(tenant, day)}@{graph}"
        cached = self._days.get((tenant, day))
        if cached is not None and cached[0] == version:
            self._days.move_to_end((tenant, day))
            return cached[1]
        landmarks = len(store.landmarks(tenant))
        rows = rows_on_graph(store.day_rows(tenant, day), graph)
        table = RideTable.from_rows(rows, landmarks)
        self._days[(tenant, day)] = (version, table)
        while len(self._days) > MAX_DAYS:
            self._days.popitem(last=False)
        return table

    def offers(
        self, store: CarpoolStore, tenant: str, offer_ids: Iterable[str]
    ) -> dict[str, Offer]:
        wanted = list(dict.fromkeys(offer_ids))
        found = {i: self._offers[(tenant, i)] for i in wanted if (tenant, i) in self._offers}
        missing = [i for i in wanted if i not in found]
        for offer_id, offer in store.offers(tenant, missing).items():
            found[offer_id] = offer
            self._offers[(tenant, offer_id)] = offer
        while len(self._offers) > MAX_OFFERS:
            self._offers.popitem(last=False)
        return found
