"""A carpooler's personal data on the real RabbitMQ and Redis, with travel times from the routing
service on the real Kempen road graph: export, erasure (open bookings ended through the usual
flows first) and the daily retention, which leave no name, number or address behind."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from contracts.carpool import (
    Booking,
    BookingStatus,
    MatchStop,
    Offer,
    OfferIn,
    Recurrence,
    RequestIn,
    RideRequest,
    Trip,
)
from services.carpool.personal_store import PersonalStore
from services.carpool.service import CarpoolService
from services.carpool.store import CarpoolStore
from services.common.settings import load_settings
from services.routing.service import RoutingService
from tests.service.test_carpool_service import (
    DAY,
    EAST,
    ON_THE_WAY_FROM,
    ON_THE_WAY_TO,
    ZOERSEL,
    CarpoolWatcher,
    offer,
    remote_type,
    request,
    seen,
    who,
)

pytestmark = pytest.mark.service

DISPATCHER = who("disp", "dispatcher")
SMS_PHONE = "+33612345678"


@pytest.fixture
def carpool_config(service_config: dict[str, Any], kempen_drive_artefact: Path) -> dict[str, Any]:
    return {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}


@pytest.fixture
def stack(runner_factory: Any, carpool_config: dict[str, Any]) -> Any:
    seen.clear()
    runner = runner_factory(carpool_config, RoutingService, CarpoolService, CarpoolWatcher)
    runner.start()
    return next(c for c in runner.containers if c.service_name == "carpool_watcher")


@pytest.fixture
def client(carpool_config: dict[str, Any]) -> Any:
    connection = redis.Redis.from_url(str(carpool_config["REDIS_URL"]), decode_responses=True)
    yield connection
    connection.close()


def mentions(client: redis.Redis, tenant: str, text: str) -> list[str]:
    """The tenant's carpool keys whose name or content holds `text`."""
    found = []
    for key in client.scan_iter(f"carpool:{tenant}:*", count=500):
        kind = client.type(key)
        if kind == "string":
            content: Any = client.get(key)
        elif kind == "hash":
            content = client.hgetall(key)
        elif kind == "list":
            content = client.lrange(key, 0, -1)
        elif kind == "set":
            content = sorted(client.smembers(key))  # type: ignore[arg-type]
        else:
            content = client.zrange(key, 0, -1)
        if text in key or text in json.dumps(content):
            found.append(key)
    return found


def test_erasing_a_driver_re_matches_their_passenger_and_keeps_only_trip_figures(
    stack: Any, carpool_config: dict[str, Any], tenant: str, client: redis.Redis
) -> None:
    jan, paul = who("jan-erased"), who("paul")
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        # A ride Jan drove with Marie, done.
        done = carpool.offer_ride(tenant, jan, offer())
        asked = carpool.request_ride(tenant, who("marie"), request())["request"]["request_id"]
        booking = carpool.book_ride(tenant, who("marie"), asked, done["offer_id"], DAY)
        carpool.answer_booking(tenant, jan, booking["booking_id"], True)
        carpool.complete_ride(tenant, jan, done["offer_id"], DAY)
        # Another, ahead, with Paul confirmed; Piet drives the same road.
        # The same ride again, on purpose: its own client key makes it a second offer.
        ahead = carpool.offer_ride(tenant, jan, offer(client_key="jan-again"))
        piet = carpool.offer_ride(tenant, who("piet"), offer(first_name="Piet"))
        pauls = carpool.request_ride(tenant, paul, request())["request"]["request_id"]
        held = carpool.book_ride(tenant, paul, pauls, ahead["offer_id"], DAY)
        carpool.answer_booking(tenant, jan, held["booking_id"], True)

        export = carpool.export_person(tenant, jan)
        assert {o["offer_id"] for o in export["offers"]} == {done["offer_id"], ahead["offer_id"]}
        assert len(export["bookings"]) == 2 and export["phone"] is None
        assert export["trips"][0]["passengers"] == ["marie"]

        with pytest.raises(RemoteError) as refused:
            carpool.erase_person(tenant, paul, "jan-erased")
        assert remote_type(refused) == "NotFound"

        with entrypoint_waiter(stack, "handle_booking_cancelled", timeout=30):
            erased = carpool.erase_person(tenant, jan)
        assert erased["bookings_cancelled"] == 1 and erased["offers"] == 2
        assert erased["trips_anonymised"] == 1

        # Paul was told (booking_cancelled) and is now waiting for Piet instead.
        (now,) = carpool.my_carpool(tenant, paul)["bookings"]
        assert now["offer_id"] == piet["offer_id"] and now["status"] == "pending"
        assert carpool.export_person(tenant, jan) == {
            "username": "jan-erased", "phone": None, "offers": [], "requests": [],
            "bookings": [], "trips": [],
        }  # fmt: skip
        report = carpool.trips_csv(tenant, DISPATCHER, DAY[:7])
        # Nothing left to erase: a dispatcher naming Jan now gets what an unknown name gets.
        with pytest.raises(RemoteError) as gone:
            carpool.erase_person(tenant, DISPATCHER, "jan-erased")
        assert remote_type(gone) == "NotFound"

    cancelled = [b["payload"] for t, b in seen if t == "booking_cancelled"]
    assert cancelled[-1]["passenger"] == "paul" and cancelled[-1]["reason"] == "ride_cancelled"
    rows = report.strip().splitlines()[1:]
    assert len(rows) == 1 and "jan-erased" not in report and "marie" not in report
    assert float(rows[0].rsplit(",", 1)[1]) > 0  # the CO₂ saving is still counted
    assert mentions(client, tenant, "jan-erased") == []


def test_a_dispatcher_erases_an_sms_passenger_and_the_seat_is_free_again(
    stack: Any, carpool_config: dict[str, Any], tenant: str, client: redis.Redis
) -> None:
    phone_user = f"tel:{SMS_PHONE}"
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        ride = carpool.offer_ride(tenant, who("jan"), offer(seats=1))
        asked = carpool.request_ride(tenant, DISPATCHER, request(passenger=phone_user))
        request_id = asked["request"]["request_id"]
        carpool.book_ride(tenant, DISPATCHER, request_id, ride["offer_id"], DAY)

        for method in ("export_person", "erase_person"):
            with pytest.raises(RemoteError) as refused:
                getattr(carpool, method)(tenant, who("eve"), phone_user)
            assert remote_type(refused) == "NotFound", method
        export = carpool.export_person(tenant, DISPATCHER, phone_user)
        assert export["phone"] == SMS_PHONE
        assert [r["request_id"] for r in export["requests"]] == [request_id]
        assert export["bookings"][0]["status"] == "pending"  # untouched by Eve

        with entrypoint_waiter(stack, "handle_booking_cancelled", timeout=30):
            erased = carpool.erase_person(tenant, DISPATCHER, phone_user)
        assert (erased["bookings_cancelled"], erased["requests"], erased["bookings"]) == (1, 1, 1)

        # Jan's only seat is free again.
        other = carpool.request_ride(tenant, who("paul"), request())["request"]["request_id"]
        again = carpool.book_ride(tenant, who("paul"), other, ride["offer_id"], DAY)
        assert again["status"] == "pending"
        for method in ("export_person", "erase_person"):
            with pytest.raises(RemoteError) as gone:
                getattr(carpool, method)(tenant, DISPATCHER, phone_user)
            assert remote_type(gone) == "NotFound", method
        assert carpool.my_carpool(tenant, who("jan"))["bookings"][0]["passenger"] == "paul"

    cancelled = [b["payload"] for t, b in seen if t == "booking_cancelled"]
    assert cancelled[-1]["reason"] == "passenger" and cancelled[-1]["driver"] == "jan"
    assert mentions(client, tenant, SMS_PHONE) == []


def _old_ride_with_a_trip(store: CarpoolStore, tenant: str, day: dt.date) -> tuple[str, str]:
    """A ride, its request, its booking and its trip, `day` being long ago, written as the
    service writes them (the API refuses days in the past)."""
    given = OfferIn(
        origin=ZOERSEL, destination=EAST, origin_label="12 rue des Lilas", date=day,
        depart_earliest="08:00", depart_latest="08:30", seats=2, origin_commune="59270",
    )  # fmt: skip
    created = dt.datetime.combine(day, dt.time(7), dt.UTC)
    old = Offer(
        offer_id="o-old", driver="jan-old", offer=given, direct_s=900, direct_m=9000,
        max_detour_s=300, created_at=created,
    )  # fmt: skip
    key = f"o-old@{day.isoformat()}"
    store.save_offer(tenant, old, [(key, [])], {"type": "seeded"})
    asked = RequestIn(
        origin=ON_THE_WAY_FROM, destination=ON_THE_WAY_TO, date=day, depart_after="07:45"
    )
    req = RideRequest(request_id="r-old", passenger="marie-old", request=asked, created_at=created)
    store.save_request(tenant, req, {"type": "seeded"})
    stop = MatchStop(location=ON_THE_WAY_FROM, label="Halle", time="08:05")
    booking = Booking(
        booking_id="b-old", offer_id="o-old", date=day, request_id="r-old",
        passenger="marie-old", driver="jan-old", seats=1, pickup=stop, dropoff=stop,
        status=BookingStatus.COMPLETED, answer_by=created,
    )  # fmt: skip
    assert store.book(tenant, key, "0", [], booking, "seeded", {}) == "ok"
    trip = Trip(
        offer_id="o-old", date=day, driver="jan-old", passengers=("marie-old",),
        passenger_seats=1, origin=ZOERSEL, destination=EAST, origin_label="12 rue des Lilas",
        origin_commune="59270", distance_m=9000, shared_m=7000,
    )  # fmt: skip
    assert store.set_ride_status(tenant, key, "completed", [], trip)
    return key, day.isoformat()[:7]


def test_the_service_purges_rides_past_the_retention_on_its_own(
    container_factory: Any, carpool_config: dict[str, Any], tenant: str, client: redis.Redis
) -> None:
    config = {**carpool_config, "CARPOOL_RETENTION_DAYS": 30}
    store = CarpoolStore(client, load_settings(config))
    _, month = _old_ride_with_a_trip(store, tenant, dt.date.today() - dt.timedelta(days=40))
    recent = RequestIn(
        origin=ON_THE_WAY_FROM, destination=ON_THE_WAY_TO, date=dt.date.today(),
        depart_after="07:45",
    )  # fmt: skip
    kept = RideRequest(
        request_id="r-new", passenger="marie-old", request=recent,
        created_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    store.save_request(tenant, kept, {"type": "seeded"})

    # A weekly ride still running whose first day is past the retention: its trip goes anonymous.
    first = dt.date.today() - dt.timedelta(days=35)
    weekly = Recurrence(weekdays=(first.weekday(),), until=dt.date.today() + dt.timedelta(days=14))
    running_offer = OfferIn(
        origin=ZOERSEL, destination=EAST, date=first, depart_earliest="08:00",
        depart_latest="08:30", seats=2, recurrence=weekly,
    )  # fmt: skip
    running = Offer(
        offer_id="o-running", driver="piet-weekly", offer=running_offer, direct_s=900,
        direct_m=9000, max_detour_s=300, created_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    days = [first + dt.timedelta(weeks=w) for w in range(8)]
    rides = [(f"o-running@{d.isoformat()}", []) for d in days if d <= weekly.until]
    store.save_offer(tenant, running, rides, {"type": "seeded"})  # type: ignore[arg-type]
    early = Trip(
        offer_id="o-running", date=first, driver="piet-weekly", passengers=(), passenger_seats=0,
        origin=ZOERSEL, destination=EAST, distance_m=9000, shared_m=0,
    )  # fmt: skip
    assert store.set_ride_status(tenant, rides[0][0], "completed", [], early)

    container_factory(CarpoolService, config).start()
    months = {month, first.isoformat()[:7]}
    deadline = time.monotonic() + 30
    while store.offer(tenant, "o-old") is not None or any(store.trips(tenant, m) for m in months):
        assert time.monotonic() < deadline, "the retention job did not purge the old rides"
        time.sleep(0.2)

    assert store.request(tenant, "r-old") is None and store.booking(tenant, "b-old") is None
    assert store.request(tenant, "r-new") is not None  # within the retention: kept
    assert store.trips(tenant, month) == []
    figures = PersonalStore(store).trip_figures(tenant, month)
    assert (7000, "59270") in {(f.shared_m, f.origin_commune) for f in figures}
    assert mentions(client, tenant, "jan-old") == []
    assert mentions(client, tenant, "rue des Lilas") == []
    assert mentions(client, tenant, "marie-old") != []  # her recent request stays
    assert store.offer(tenant, "o-running") is not None  # still running: kept
    early_figures = PersonalStore(store).trip_figures(tenant, first.isoformat()[:7])
    assert first in {f.date for f in early_figures}
