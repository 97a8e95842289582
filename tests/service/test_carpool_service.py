"""The carpool service on the real RabbitMQ and Redis, with travel times from the routing service
on the real Kempen road graph: offer, request, match, book, answer, cancel, re-match, race."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.carpool.service import CarpoolService
from services.common.dead_letter import event_handler
from services.routing.service import RoutingService

pytestmark = pytest.mark.service

ZOERSEL = [51.2667, 4.7125]
EAST = [51.2480, 4.8420]
ON_THE_WAY_FROM = [51.24495, 4.70175]  # on the driver's road, a sixth of the way
ON_THE_WAY_TO = [51.25205, 4.81548]  # five sixths of the way
DAY = (dt.date.today() + dt.timedelta(days=2)).isoformat()

seen: list[tuple[str, dict[str, Any]]] = []


class CarpoolWatcher:
    name = "carpool_watcher"

    @event_handler("carpool", "ride_offered")
    def handle_ride_offered(self, body: dict[str, Any]) -> None:
        seen.append(("ride_offered", body))

    @event_handler("carpool", "ride_requested")
    def handle_ride_requested(self, body: dict[str, Any]) -> None:
        seen.append(("ride_requested", body))

    @event_handler("carpool", "ride_matched")
    def handle_ride_matched(self, body: dict[str, Any]) -> None:
        seen.append(("ride_matched", body))

    @event_handler("carpool", "booking_confirmed")
    def handle_booking_confirmed(self, body: dict[str, Any]) -> None:
        seen.append(("booking_confirmed", body))

    @event_handler("carpool", "booking_cancelled")
    def handle_booking_cancelled(self, body: dict[str, Any]) -> None:
        seen.append(("booking_cancelled", body))

    @event_handler("carpool", "trip_completed")
    def handle_trip_completed(self, body: dict[str, Any]) -> None:
        seen.append(("trip_completed", body))


def who(username: str, role: str = "resident") -> dict[str, Any]:
    return {"username": username, "role": role, "communes": []}


def offer(seats: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "origin": ZOERSEL,
        "destination": EAST,
        "origin_label": "Zoersel",
        "date": DAY,
        "depart_earliest": "08:00",
        "depart_latest": "08:30",
        "seats": seats,
        "first_name": "Jan",
        **extra,
    }


def request(**extra: Any) -> dict[str, Any]:
    return {
        "origin": ON_THE_WAY_FROM,
        "destination": ON_THE_WAY_TO,
        "date": DAY,
        "depart_after": "07:45",
        "depart_before": "08:45",
        "first_name": "Marie",
        **extra,
    }


@pytest.fixture
def carpool_config(service_config: dict[str, Any], kempen_drive_artefact: Path) -> dict[str, Any]:
    return {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}


@pytest.fixture
def stack(runner_factory: Any, carpool_config: dict[str, Any]) -> Any:
    seen.clear()
    runner = runner_factory(carpool_config, RoutingService, CarpoolService, CarpoolWatcher)
    runner.start()
    return next(c for c in runner.containers if c.service_name == "carpool_watcher")


def remote_type(error: pytest.ExceptionInfo[RemoteError]) -> str:
    return str(error.value.exc_type)


def test_offer_request_match_book_accept_complete(
    stack: Any, carpool_config: dict[str, Any], tenant: str
) -> None:
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        with entrypoint_waiter(stack, "handle_ride_offered", timeout=30):
            ride = carpool.offer_ride(tenant, who("jan"), offer())
        asked = carpool.request_ride(tenant, who("marie"), request())
        (match,) = asked["matches"]
        assert match["offer_id"] == ride["offer_id"]
        assert match["reason"].startswith("départ 8 h") and "détour" in match["reason"]
        assert match["driver_first_name"] == "Jan"
        request_id = asked["request"]["request_id"]

        with entrypoint_waiter(stack, "handle_ride_matched", timeout=30):
            booking = carpool.book_ride(tenant, who("marie"), request_id, ride["offer_id"], DAY)
        assert booking["status"] == "pending" and booking["driver"] == "jan"
        again = carpool.book_ride(tenant, who("marie"), request_id, ride["offer_id"], DAY)
        assert again["booking_id"] == booking["booking_id"]  # asked twice, booked once

        with pytest.raises(RemoteError) as refused:
            carpool.answer_booking(tenant, who("marie"), booking["booking_id"], True)
        assert remote_type(refused) == "Forbidden"
        with entrypoint_waiter(stack, "handle_booking_confirmed", timeout=30):
            confirmed = carpool.answer_booking(tenant, who("jan"), booking["booking_id"], True)
        assert confirmed["status"] == "confirmed"
        with pytest.raises(RemoteError) as twice:
            carpool.answer_booking(tenant, who("jan"), booking["booking_id"], True)
        assert remote_type(twice) == "Conflict" and "already confirmed" in str(twice.value)

        with entrypoint_waiter(stack, "handle_trip_completed", timeout=30):
            trip = carpool.complete_ride(tenant, who("jan"), ride["offer_id"], DAY)
        assert trip["passengers"] == ["marie"] and trip["shared_m"] > 1000
        report = carpool.trips_csv(tenant, who("disp", "dispatcher"), DAY[:7])
    assert "co2_saved_kg" in report and "marie" in report
    confirmed_events = [b for t, b in seen if t == "booking_confirmed"]
    assert confirmed_events[0]["payload"]["passenger_first_name"] == "Marie"


def test_a_second_passenger_joins_a_ride_that_already_carries_one(
    stack: Any, carpool_config: dict[str, Any], tenant: str
) -> None:
    """Only the query's own points go to routing (rectangles); the ride's leg between its first
    passenger's stops was kept at the booking, and is asked again if it is lost."""
    client = redis.Redis.from_url(str(carpool_config["REDIS_URL"]), decode_responses=True)
    legs = f"carpool:{tenant}:legs:{DAY}"
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        ride = carpool.offer_ride(tenant, who("jan"), offer(seats=3))
        marie = carpool.request_ride(tenant, who("marie"), request())["request"]["request_id"]
        carpool.book_ride(tenant, who("marie"), marie, ride["offer_id"], DAY)
        assert client.hlen(legs) == 3  # origin → Marie's pickup → her drop-off → destination
        # Paul goes the driver's whole way: his times reach the ride's ends, not Marie's stops.
        paul = carpool.request_ride(tenant, who("paul"), request(origin=ZOERSEL, destination=EAST))
        (match,) = paul["matches"]
        assert match["offer_id"] == ride["offer_id"] and match["detour_s"] < 60
        assert match["seats_left"] == 1
        client.delete(legs)
        again = carpool.find_matches(tenant, who("paul"), paul["request"]["request_id"])
        assert [(m["offer_id"], m["detour_s"]) for m in again] == [
            (match["offer_id"], match["detour_s"])
        ]
        assert client.hlen(legs) == 1  # the leg between Marie's stops, asked once and kept
        assert client.ttl(legs) > 0
    client.close()


def test_twenty_bookings_race_for_the_last_seat_and_exactly_one_wins(
    stack: Any, carpool_config: dict[str, Any], tenant: str
) -> None:
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        ride = carpool.offer_ride(tenant, who("jan"), offer(seats=1))
        requests = [
            carpool.request_ride(tenant, who(f"p{i}"), request())["request"]["request_id"]
            for i in range(20)
        ]

    def book(i: int) -> str:
        with ServiceRpcProxy("carpool", carpool_config, timeout=60) as proxy:
            try:
                proxy.book_ride(tenant, who(f"p{i}"), requests[i], ride["offer_id"], DAY)
            except RemoteError as error:
                return str(error.exc_type)
            return "booked"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(book, range(20)))
    assert outcomes.count("booked") == 1, outcomes
    assert set(outcomes) == {"booked", "Conflict"}
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        mine = carpool.my_carpool(tenant, who("jan"))
    assert len(mine["bookings"]) == 1


def test_another_resident_gets_not_found_and_nothing_changes(
    stack: Any, carpool_config: dict[str, Any], tenant: str
) -> None:
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        ride = carpool.offer_ride(tenant, who("jan"), offer())
        asked = carpool.request_ride(tenant, who("marie"), request())
        request_id = asked["request"]["request_id"]
        booking = carpool.book_ride(tenant, who("marie"), request_id, ride["offer_id"], DAY)
        intruder = who("eve")
        calls = [
            ("get_offer", (ride["offer_id"],)),
            ("get_request", (request_id,)),
            ("find_matches", (request_id,)),
            ("book_ride", (request_id, ride["offer_id"], DAY)),
            ("get_booking", (booking["booking_id"],)),
            ("answer_booking", (booking["booking_id"], False)),
            ("cancel_booking", (booking["booking_id"],)),
            ("cancel_ride", (ride["offer_id"], DAY)),
            ("complete_ride", (ride["offer_id"], DAY)),
        ]
        for method, args in calls:
            with pytest.raises(RemoteError) as refused:
                getattr(carpool, method)(tenant, intruder, *args)
            assert remote_type(refused) == "NotFound", method
        # A dispatcher reaches it all; the booking is untouched.
        still = carpool.get_booking(tenant, who("disp", "dispatcher"), booking["booking_id"])
    assert still["status"] == "pending"


def test_a_driver_cancelling_re_matches_the_passenger_on_another_ride(
    stack: Any, carpool_config: dict[str, Any], tenant: str
) -> None:
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        first = carpool.offer_ride(tenant, who("jan"), offer())
        second = carpool.offer_ride(tenant, who("piet"), offer(first_name="Piet"))
        asked = carpool.request_ride(tenant, who("marie"), request())
        request_id = asked["request"]["request_id"]
        booking = carpool.book_ride(tenant, who("marie"), request_id, first["offer_id"], DAY)
        carpool.answer_booking(tenant, who("jan"), booking["booking_id"], True)
        outcome = carpool.cancel_ride(tenant, who("jan"), first["offer_id"], DAY)
        (passenger,) = outcome["passengers"]
        assert passenger["booking"]["offer_id"] == second["offer_id"]
        old = carpool.get_booking(tenant, who("marie"), booking["booking_id"])
        assert old["status"] == "cancelled"
        # Piet cancels too: nobody else drives, Marie is told that no ride exists.
        again = carpool.cancel_ride(tenant, who("piet"), second["offer_id"], DAY)
    assert again["passengers"][0]["booking"] is None
    rematched = [b for t, b in seen if t == "ride_matched" and b["payload"]["rematch"]]
    assert rematched and rematched[0]["payload"]["offer_id"] == second["offer_id"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"seats": 0}, "seats"),
        ({"seats": 9}, "seats"),
        ({"depart_earliest": "09:00", "depart_latest": "08:00"}, "before it starts"),
        ({"destination": [48.8566, 2.3522]}, "off the road graph"),
        ({"date": "2020-01-01"}, "in the past"),
    ],
)
def test_bad_offers_are_refused_with_the_reason(
    stack: Any, carpool_config: dict[str, Any], tenant: str, change: dict[str, Any], says: str
) -> None:
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        with pytest.raises(RemoteError) as refused:
            carpool.offer_ride(tenant, who("jan"), offer(**change))
        assert remote_type(refused) == "InvalidMessage"
        assert says in str(refused.value)
        assert carpool.my_carpool(tenant, who("jan"))["offers"] == []


def test_a_booking_the_driver_does_not_answer_in_time_gives_its_seat_back(
    runner_factory: Any, carpool_config: dict[str, Any], tenant: str
) -> None:
    seen.clear()
    config = {**carpool_config, "CARPOOL_ANSWER_WITHIN_S": 1}
    runner = runner_factory(config, RoutingService, CarpoolService, CarpoolWatcher)
    runner.start()
    with ServiceRpcProxy("carpool", config, timeout=60) as carpool:
        ride = carpool.offer_ride(tenant, who("jan"), offer(seats=1))
        first = carpool.request_ride(tenant, who("marie"), request())["request"]["request_id"]
        late = carpool.book_ride(tenant, who("marie"), first, ride["offer_id"], DAY)
        deadline = time.monotonic() + 60
        while carpool.get_booking(tenant, who("marie"), late["booking_id"])["status"] != "expired":
            assert time.monotonic() < deadline, "the unanswered booking never expired"
            time.sleep(0.5)
        with pytest.raises(RemoteError) as too_late:
            carpool.answer_booking(tenant, who("jan"), late["booking_id"], True)
        assert remote_type(too_late) == "Conflict"
        # The seat is free again for someone else.
        other = carpool.request_ride(tenant, who("paul"), request())["request"]["request_id"]
        again = carpool.book_ride(tenant, who("paul"), other, ride["offer_id"], DAY)
    assert again["status"] == "pending"
    expired = [b for t, b in seen if t == "booking_cancelled"]
    assert expired and expired[0]["payload"]["reason"] == "expired"


def test_an_offer_and_a_request_delivered_twice_are_made_and_announced_once(
    stack: Any, carpool_config: dict[str, Any], tenant: str
) -> None:
    with ServiceRpcProxy("carpool", carpool_config, timeout=60) as carpool:
        with entrypoint_waiter(stack, "handle_ride_offered", timeout=30):
            ride = carpool.offer_ride(tenant, who("jan"), offer())
        again = carpool.offer_ride(tenant, who("jan"), offer())  # the RPC redelivered
        keyed = carpool.offer_ride(tenant, who("jan"), offer(client_key="k-1"))
        keyed_again = carpool.offer_ride(tenant, who("jan"), offer(client_key="k-1"))
        with pytest.raises(RemoteError) as reused:
            carpool.offer_ride(tenant, who("jan"), offer(seats=2, client_key="k-1"))
        asked = carpool.request_ride(tenant, who("marie"), request())
        asked_again = carpool.request_ride(tenant, who("marie"), request())
        mine = carpool.my_carpool(tenant, who("jan"))
        time.sleep(3)  # past the outbox relay's 2 s timer: a second event would have arrived
    assert again["offer_id"] == ride["offer_id"] and again["created_at"] == ride["created_at"]
    assert keyed_again["offer_id"] == keyed["offer_id"] != ride["offer_id"]
    assert remote_type(reused) == "Conflict" and "client_key" in str(reused.value)
    assert asked_again["request"] == asked["request"]
    assert [m["offer_id"] for m in asked_again["matches"]] == [
        m["offer_id"] for m in asked["matches"]
    ]
    assert len(mine["offers"]) == 2
    offered = [b["payload"]["offer_id"] for t, b in seen if t == "ride_offered"]
    assert sorted(offered) == sorted([ride["offer_id"], keyed["offer_id"]])
    requested = [b["payload"]["request_id"] for t, b in seen if t == "ride_requested"]
    assert requested == [asked["request"]["request_id"]]
