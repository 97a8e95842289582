"""`bocage feeds check`: a document read offline shows its alerts; a broken one is a one-line
CLI error naming the problem, never a trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.cli import main
from tests.feed_documents.made import Info, cap, edxl

pytestmark = pytest.mark.integration


def test_an_envelope_is_listed_alert_by_alert(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "envelope.xml"
    document.write_text(edxl(cap(Info(language="en-GB", event="Gale")), cap(status="Test")))
    schema = str(shared_data / "cap" / "CAP-v1.2.xsd")

    assert main(["feeds", "check", str(document), "--kind", "cap", "--cap-schema", schema]) == 0

    out = capsys.readouterr().out
    assert "Gale [en-GB], niveau 3 (vent_violent)" in out
    assert "not_concerned" in out and "Test" in out


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "DTD"),
        (b"<alert", "not well-formed XML"),
    ],
)
def test_a_document_that_cannot_be_read_is_a_one_line_error(
    tmp_path: Path,
    shared_data: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    says: str,
) -> None:
    document = tmp_path / "broken.xml"
    document.write_bytes(content)
    schema = str(shared_data / "cap" / "CAP-v1.2.xsd")

    assert main(["feeds", "check", str(document), "--kind", "cap", "--cap-schema", schema]) == 2

    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
