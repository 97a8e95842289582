"""VRPLIB files and the `bocage solve` command, on a tiny hand-made Solomon-style instance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from infra.cli import main
from services.routing.rounds import check, read_instance
from services.routing.rounds.vrplib_io import dimacs_matrix

pytestmark = pytest.mark.unit

TINY = """NAME : tiny
TYPE : CVRPTW
DIMENSION : 6
VEHICLES : 3
CAPACITY : 10
SERVICE_TIME : 1
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
4 -3 4
5 -6 -8
6 1 1
DEMAND_SECTION
1 0
2 4
3 4
4 4
5 4
6 2
TIME_WINDOW_SECTION
1 0 100
2 0 50
3 0 50
4 0 50
5 20 60
6 0 100
DEPOT_SECTION
1
-1
EOF
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.vrp"
    path.write_text(TINY)
    return path


def test_dimacs_distances_are_truncated_to_one_decimal() -> None:
    m = dimacs_matrix(np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.3]]))
    assert m[0, 1] == 14  # 1.414... -> 1.4, in tenths
    assert m[0, 2] == 3  # 0.3 stays 0.3 despite floating-point error


def test_solve_prints_a_feasible_plan_as_json(tiny, capsys) -> None:
    assert main(["solve", str(tiny), "--time-limit", "1", "--json", "--seed", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"cost", "routes", "feasible", "seconds"}
    assert out["feasible"]
    assert sorted(c for r in out["routes"] for c in r) == [1, 2, 3, 4, 5]
    instance = read_instance(tiny)
    routes = [tuple(c - 1 for c in r) for r in out["routes"]]
    routes += [()] * (len(instance.problem.vehicles) - len(routes))
    verdict = check(instance.problem, tuple(routes))
    assert verdict.feasible and instance.cost(verdict.objective) == out["cost"]


def test_missing_or_broken_files_are_user_errors(tmp_path, capsys) -> None:
    assert main(["solve", str(tmp_path / "nope.vrp"), "--json"]) == 2
    assert "no such file" in capsys.readouterr().err
    broken = tmp_path / "broken.vrp"
    broken.write_text("this is not VRPLIB\n")
    assert main(["solve", str(broken), "--json"]) == 2
    assert "bocage:" in capsys.readouterr().err
