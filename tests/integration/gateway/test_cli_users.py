"""`bocage users add|list` and `bocage tenant set` on the real Redis."""

from __future__ import annotations

import io

import pytest
import redis

from infra.cli import main
from services.gateway.passwords import Passwords
from services.gateway.users import UserStore

from .conftest import PASSWORD

pytestmark = pytest.mark.integration


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


def test_tenant_set_then_add_a_mayor_then_list(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    redis_conn: redis.Redis,
    tenant: str,
) -> None:
    monkeypatch.setenv("BOCAGE_TENANT", tenant)
    assert run(monkeypatch, "tenant", "set", "--name", "CC Test", "--commune", "59350=Lille") == 0
    code = run(
        monkeypatch,
        "users", "add", "maire", "--role", "mayor", "--commune", "59350",
        "--full-name", "Marie Curie", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0
    stored = UserStore(redis_conn, tenant).get_user("maire")
    assert stored is not None and stored.communes == ("59350",)
    assert Passwords().verify(stored.password_hash, PASSWORD)

    capsys.readouterr()
    assert run(monkeypatch, "users", "list") == 0
    assert "maire" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "password", "message"),
    [
        (("users", "add", "bob", "--role", "driver", "--password-stdin"), "short", "at least 10"),
        (("users", "add", "bob", "--role", "mayor", "--password-stdin"), PASSWORD, "one commune"),
        (("users", "add", "bob", "--role", "driver", "--password-stdin"), "", "no password"),
        (("tenant", "set", "--name", "x", "--commune", "Lille"), "", "CODE=NAME"),
    ],
)
def test_user_errors_are_one_line_without_a_trace(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tenant: str,
    redis_url: str,
    argv: tuple[str, ...],
    password: str,
    message: str,
) -> None:
    monkeypatch.setenv("BOCAGE_TENANT", tenant)
    assert run(monkeypatch, *argv, stdin=password + "\n") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_duplicate_user_and_unreachable_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tenant: str
) -> None:
    monkeypatch.setenv("BOCAGE_TENANT", tenant)
    add = ("users", "add", "bob", "--role", "driver", "--password-stdin")
    assert run(monkeypatch, *add, stdin=PASSWORD) == 0
    assert run(monkeypatch, *add, stdin=PASSWORD) == 2
    assert "already exists" in capsys.readouterr().err

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert run(monkeypatch, "users", "list") == 2
    assert "Redis is not reachable at redis://127.0.0.1:1/0" in capsys.readouterr().err


def test_the_password_prompt_asks_twice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tenant: str
) -> None:
    monkeypatch.setenv("BOCAGE_TENANT", tenant)
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert run(monkeypatch, "users", "add", "carl", "--role", "resident") == 2
    assert "differ" in capsys.readouterr().err


def test_passwd_lets_a_locked_out_admin_back_in_and_ends_their_sessions(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    redis_conn: redis.Redis,
    tenant: str,
) -> None:
    monkeypatch.setenv("BOCAGE_TENANT", tenant)
    users = UserStore(redis_conn, tenant)
    argv = ("users", "add", "chef", "--role", "admin", "--password-stdin")
    assert run(monkeypatch, *argv, stdin=PASSWORD + "\n") == 0
    before = users.get_user("chef")
    assert before is not None

    new = "a brand new password"
    assert run(monkeypatch, "users", "passwd", "chef", "--password-stdin", stdin=new + "\n") == 0
    assert "sessions ended" in capsys.readouterr().out
    after = users.get_user("chef")
    assert after is not None and Passwords().verify(after.password_hash, new)
    assert after.session_generation == before.session_generation + 1

    assert run(monkeypatch, "users", "passwd", "nobody", "--password-stdin", stdin=new + "\n") == 2
    assert "no user named 'nobody'" in capsys.readouterr().err
