"""A command request delivered twice (what the broker does when it lost the connection to the
service mid-solve) plans once: both deliveries answer the same plan, and the day holds one."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer, Queue
from nameko.standalone.rpc import ServiceRpcProxy

from services.routing.service import RoutingService
from tests.callers import DISPATCHER

pytestmark = pytest.mark.service

KITCHEN = [51.2667, 4.7125]
HOMES = [[51.2983, 4.7331], [51.2260, 4.7720]]


def test_the_same_plan_request_twice_plans_the_day_once(
    container_factory: Any, service_config: dict[str, Any], kempen_drive_artefact: Path, tenant: str
) -> None:
    config = {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}
    container_factory(RoutingService, config).start()
    day = dt.date.today().isoformat()
    request = {
        "date": day, "kitchen": KITCHEN,
        "deliveries": [{"id": f"d{i}", "location": h, "window_start": "10:30",
                        "window_end": "13:00"} for i, h in enumerate(HOMES)],
        "vehicles": [{"id": "van-1", "capacity": 10, "shift_start": "10:00",
                      "shift_end": "14:00"}],
        "time_limit_s": 1,
    }  # fmt: skip
    body = json.dumps({"args": [tenant, DISPATCHER, request], "kwargs": {}})
    correlation_id = str(uuid.uuid4())
    answers = []
    with Connection(config["AMQP_URI"]) as connection:
        rpc_exchange = Exchange("nameko-rpc", type="topic", durable=True)
        name = f"replies-{uuid.uuid4().hex}"
        # nameko answers through its exchange, routed by the request's `reply_to`.
        replies = Queue(name, rpc_exchange, routing_key=name, exclusive=True, auto_delete=True)
        replies = replies(connection.default_channel)
        replies.declare()
        producer = Producer(connection.channel(), exchange=rpc_exchange)
        for _ in range(2):  # the same message, as a redelivery carries it
            producer.publish(
                body, routing_key="routing.plan_meal_round", content_type="application/json",
                correlation_id=correlation_id, reply_to=replies.name,
            )  # fmt: skip
        deadline = dt.datetime.now() + dt.timedelta(seconds=60)
        while len(answers) < 2 and dt.datetime.now() < deadline:
            message = replies.get(no_ack=True)
            if message is not None:
                answers.append(json.loads(message.body))
    assert len(answers) == 2, answers
    assert [a["error"] for a in answers] == [None, None]
    round_ids = {a["result"]["round_id"] for a in answers}
    assert len(round_ids) == 1
    with ServiceRpcProxy("routing", config, timeout=30) as routing:
        day_rounds = routing.rounds_of_day(tenant, DISPATCHER, day)
        again = routing.plan_meal_round(tenant, DISPATCHER, request)  # a new request: a new plan
    assert [r["round_id"] for r in day_rounds] == list(round_ids)
    assert again["round_id"] not in round_ids
