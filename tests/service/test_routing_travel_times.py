"""routing.travel_times on the real broker and the Kempen graph: a rectangle of times, the same
values as the N×N matrix, and a clear refusal of a point off the road graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from services.routing.service import RoutingService

pytestmark = pytest.mark.service

RIDES = [[51.2667, 4.7125], [51.2983, 4.7331], [51.2260, 4.7720], [51.2860, 4.8020]]
QUERY = [[51.24495, 4.70175], [51.25205, 4.81548]]


def test_rides_to_a_query_s_points_as_a_rectangle(
    runner_factory: Any, service_config: dict[str, Any], kempen_drive_artefact: Path
) -> None:
    config = {**service_config, "ROUTING_GRAPH": str(kempen_drive_artefact)}
    runner_factory(config, RoutingService).start()
    with ServiceRpcProxy("routing", config, timeout=60) as routing:
        rectangle = routing.travel_times({"sources": RIDES, "targets": QUERY})
        full = routing.travel_matrix({"points": RIDES + QUERY})
        both = routing.travel_times({"sources": QUERY, "targets": RIDES, "both_ways": True})
        with pytest.raises(RemoteError) as refused:
            routing.travel_times({"sources": RIDES, "targets": [[48.85, 2.35]]})  # Paris
    assert len(rectangle["durations_s"]) == 4 and len(rectangle["durations_s"][0]) == 2
    for i in range(4):
        for j in range(2):
            assert rectangle["durations_s"][i][j] == full["durations_s"][i][4 + j]
            assert rectangle["distances_m"][i][j] == full["distances_m"][i][4 + j]
    assert all(60 < t < 3600 for row in rectangle["durations_s"] for t in row)
    # Both ways in one call: the query's points to the rides, and back (as asked the other way).
    assert both["back_durations_s"] == rectangle["durations_s"]
    assert both["back_distances_m"] == rectangle["distances_m"]
    assert both["durations_s"] == [
        [full["durations_s"][4 + j][i] for i in range(4)] for j in range(2)
    ]
    assert "back_durations_s" not in rectangle or rectangle["back_durations_s"] is None
    assert refused.value.exc_type == "InvalidMessage" and "4" in str(refused.value)
