"""The literature's instances from ../shared/data/vrp: parsed, solved briefly, checked."""

from __future__ import annotations

import json

import pytest

from infra.cli import main
from services.routing.rounds import check, read_best_known, read_instance

pytestmark = pytest.mark.integration


def test_every_instance_and_best_known_value_reads(shared_data) -> None:
    paths = sorted((shared_data / "vrp").glob("*.vrp"))
    assert paths
    for path in paths:
        instance = read_instance(path)
        assert instance.problem.stops and read_best_known(path.with_suffix(".sol"))
        assert instance.convention == ("rounded" if path.stem.startswith("X-") else "dimacs")


@pytest.mark.parametrize("name", ["C106", "X-n110-k13"])
def test_cli_solves_an_instance_feasibly(shared_data, capsys, name) -> None:
    path = shared_data / "vrp" / f"{name}.vrp"
    assert main(["solve", str(path), "--time-limit", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["feasible"]
    instance = read_instance(path)
    clients = sorted(c for r in out["routes"] for c in r)
    assert clients == list(range(1, len(instance.problem.stops) + 1))
    routes = [tuple(c - 1 for c in r) for r in out["routes"]]
    routes += [()] * (len(instance.problem.vehicles) - len(routes))
    verdict = check(instance.problem, tuple(routes))  # capacity, windows, each client once
    assert verdict.feasible, verdict.violations
    assert instance.cost(verdict.objective) == out["cost"]
    assert out["cost"] >= read_best_known(path.with_suffix(".sol")) - 1e-6
