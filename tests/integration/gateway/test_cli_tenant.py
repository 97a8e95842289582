"""`bocage tenant set` checks INSEE codes against the IGN boundaries; `bocage tenant communes`
stores the tenant's boundaries for alerts by area (real Redis, ../shared/data/communes/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.cli import main
from services.alerts import feed_records

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tenant: str, shared_data: Path) -> str:
    monkeypatch.setenv("BOCAGE_TENANT", tenant)
    monkeypatch.setenv("BOCAGE_COMMUNES_DIR", str(shared_data / "communes"))
    return tenant


def test_a_wrong_code_is_refused_with_the_code_of_the_name_given(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["tenant", "set", "--name", "CCFI", "--commune", "59588=Steenvoorde"])

    err = capsys.readouterr().err
    assert code == 2
    assert "59588 is Téteghem-Coudekerque-Village; Steenvoorde is 59580" in err


def test_a_misspelt_name_with_a_wrong_code_gets_the_nearest_names(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tenant", "set", "--name", "CCFI", "--commune", "59999=Steenvorde"]) == 2

    assert "Steenvoorde (59580)" in capsys.readouterr().err


def test_codes_of_a_department_without_boundaries_are_accepted_and_said_unchecked(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tenant", "set", "--name", "Rennes Métropole", "--commune", "35238=Rennes"]) == 0

    assert "not checked" in capsys.readouterr().out


def test_boundaries_of_the_tenants_communes_are_stored_from_ign_or_a_file(
    cli_env: str, redis_client: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    communes = ["--commune", "59043=Bailleul", "--commune", "59580=Steenvoorde"]
    assert main(["tenant", "set", "--name", "CCFI", *communes]) == 0
    assert main(["tenant", "communes"]) == 0

    stored = json.loads(feed_records.boundaries(redis_client, cli_env) or "{}")
    assert sorted(f["properties"]["code"] for f in stored["features"]) == ["59043", "59580"]

    partial = tmp_path / "ccfi.geojson"
    bailleul = [f for f in stored["features"] if f["properties"]["code"] == "59043"]
    partial.write_text(json.dumps({"type": "FeatureCollection", "features": bailleul}))
    assert main(["tenant", "communes", "--geojson", str(partial)]) == 2
    assert "no boundary for: 59580=Steenvoorde" in capsys.readouterr().err
