"""Travel times carpool keeps (landmark times in the process, ride legs and the rides' landmark
rows in Redis) serve only the road graph they came from: after routing answers on a rebuilt
graph, they are asked again, or left out of the prefilter."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import redis

from contracts.carpool import Offer, OfferIn
from services.carpool import landmark_refresh, matcher, road_version
from services.carpool.matching.rectangles import Rectangle
from services.carpool.matching.search import PointBook
from services.carpool.ride_index import RideIndex
from services.carpool.rides import prefilter_row, ride_key
from services.carpool.store import CarpoolStore
from services.common.settings import Settings

pytestmark = pytest.mark.integration

LEG = ((51.26670, 4.71250), (51.24800, 4.84200))
DAY = "2026-12-01"


@pytest.fixture
def store(redis_url: str, tenant: str) -> Iterator[CarpoolStore]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield CarpoolStore(client, Settings())
    keys = list(client.scan_iter(f"carpool:{tenant}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(autouse=True)
def _graph_heard_afresh() -> Iterator[None]:
    before = road_version.current()
    yield
    road_version.heard({"graph_version": before or "none"})


def test_legs_kept_on_one_graph_are_not_given_for_another(store: CarpoolStore, tenant: str) -> None:
    store.keep_legs(tenant, DAY, {LEG: 612.0}, "graph-a")

    assert store.kept_legs(tenant, DAY, [LEG], "graph-a") == {LEG: 612.0}
    assert store.kept_legs(tenant, DAY, [LEG], "graph-b") == {}
    assert store.kept_legs(tenant, DAY, [LEG], None) == {}  # routing not heard yet: ask it


def test_landmark_times_are_asked_again_once_routing_answers_on_a_new_graph() -> None:
    asked: list[str] = []

    def times_of(
        sources: Sequence[Any], targets: Sequence[Any], both_ways: bool
    ) -> tuple[Rectangle, Rectangle | None]:
        asked.append(str(road_version.current()))
        rows = [[60.0] * len(targets) for _ in sources]
        back = [[60.0] * len(sources) for _ in targets]
        return (rows, rows), (back, back)

    book = PointBook()
    for point in (LEG[0], LEG[1], (51.2983, 4.7331)):
        book.add(point)

    road_version.heard({"graph_version": "graph-a"})
    matcher._landmark_times(book, 2, times_of)
    matcher._landmark_times(book, 2, times_of)  # the same query: kept
    road_version.heard({"graph_version": "graph-b"})
    matcher._landmark_times(book, 2, times_of)

    assert asked == ["graph-a", "graph-b"]


def _offer(offer_id: str) -> Offer:
    given = OfferIn(
        origin=LEG[0], destination=LEG[1], date=dt.date.fromisoformat(DAY),
        depart_earliest="08:00", depart_latest="08:30", seats=2,
    )  # fmt: skip
    return Offer(
        offer_id=offer_id, driver="jan", offer=given, direct_s=600, direct_m=9000,
        max_detour_s=300, created_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
    )  # fmt: skip


def test_landmark_rows_from_another_graph_never_prune_a_ride(
    store: CarpoolStore, tenant: str
) -> None:
    store.keep_landmarks(tenant, [(51.2983, 4.7331)])
    ends = [100.0, 110.0, 120.0, 130.0]  # L→O, O→L, L→D, D→L
    for offer_id, graph in (("o-before", "graph-a"), ("o-after", "graph-b")):
        offer = _offer(offer_id)
        row = prefilter_row(offer, ends)
        store.save_offer(tenant, offer, [(ride_key(offer_id, DAY), row)], {"t": 1}, graph)

    road_version.heard({"graph_version": "graph-b"})  # routing now answers on a rebuilt graph
    table = RideIndex().table(store, tenant, DAY)

    assert table.ends is not None
    by_key = dict(zip(table.keys, table.ends.from_l_to_o[:, 0], strict=True))
    assert by_key[ride_key("o-after", DAY)] == 100.0  # computed on this graph: used
    assert math.isnan(by_key[ride_key("o-before", DAY)])  # another graph's: unknown, no bound
    assert table.budget_s.tolist() == [900.0, 900.0]  # the rest of each row is kept


def test_landmark_rows_from_another_graph_are_recomputed_on_the_new_one(
    store: CarpoolStore, tenant: str
) -> None:
    mark = (51.2983, 4.7331)
    store.keep_landmarks(tenant, [mark])
    for offer_id in ("o-kept", "o-cancelled"):
        offer = _offer(offer_id)
        row = prefilter_row(offer, [100.0, 110.0, 120.0, 130.0])
        store.save_offer(tenant, offer, [(ride_key(offer_id, DAY), row)], {"t": 1}, "graph-a")
    road_version.heard({"graph_version": "graph-b"})
    asked: list[int] = []

    def times_of(
        sources: Sequence[Any], targets: Sequence[Any], both_ways: bool
    ) -> tuple[Rectangle, Rectangle | None]:
        # On the new roads: 7 s from each end to the landmark, 9 s back (distances unused).
        asked.append(len(sources))
        # The second ride is cancelled while its times are being asked: not written back.
        store.client.hdel(store.k(tenant, "day", DAY), ride_key("o-cancelled", DAY))
        out = [[7.0] * len(targets) for _ in sources]
        back = [[9.0] * len(sources) for _ in targets]
        return (out, out), ((back, back) if both_ways else None)

    before = store.day_version(tenant, DAY)

    assert landmark_refresh.refresh_day(store, tenant, DAY, times_of) == 1
    assert landmark_refresh.refresh_day(store, tenant, DAY, times_of) == 0  # nothing stale now

    assert asked == [2]  # one rectangle: the rides' ends (shared here) × the landmark, both ways
    assert store.day_version(tenant, DAY) != before  # every process reloads its index
    table = RideIndex().table(store, tenant, DAY)
    assert table.keys == [ride_key("o-kept", DAY)]
    assert table.ends is not None
    ends = table.ends
    # L→O, O→L, L→D, D→L: from the landmark 9 s, to it 7 s, now usable for pruning.
    assert [ends.from_l_to_o[0, 0], ends.from_o_to_l[0, 0], ends.from_l_to_d[0, 0],
            ends.from_d_to_l[0, 0]] == [9.0, 7.0, 9.0, 7.0]  # fmt: skip
