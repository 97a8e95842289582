"""`bocage users add|list|passwd` and `bocage tenant set`: the gateway's users, from a shell.

They write the same Redis keys as the gateway (`services.gateway.users`), for the tenant named by
`--tenant` or BOCAGE_TENANT (default `demo`), on REDIS_URL.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from infra.cli import CommandError

REDIS_HINT = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from contracts.users import Role

    users = subparsers.add_parser("users", help="the gateway's users")
    actions = users.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    add = actions.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument(
        "--commune",
        dest="communes",
        action="append",
        default=[],
        metavar="CODE",
        help="INSEE code of a commune the mayor acts on (repeat for several)",
    )
    add.add_argument("--full-name", default="")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of prompting",
    )
    _tenant_option(add)
    add.set_defaults(handler=_add_user)

    passwd = actions.add_parser(
        "passwd", help="set a user's new password (ends their sessions); for a locked-out admin"
    )
    passwd.add_argument("username")
    passwd.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of prompting",
    )
    _tenant_option(passwd)
    passwd.set_defaults(handler=_set_password)

    listing = actions.add_parser("list", help="list the users of the tenant")
    _tenant_option(listing)
    listing.set_defaults(handler=_list_users)

    tenant = subparsers.add_parser("tenant", help="the tenant (intercommunality) and its communes")
    tenant_actions = tenant.add_subparsers(dest="action", metavar="ACTION")
    tenant_actions.required = True
    set_tenant = tenant_actions.add_parser(
        "set", help="set the tenant's name and its full list of communes"
    )
    set_tenant.add_argument("--name", required=True)
    set_tenant.add_argument(
        "--commune",
        dest="communes",
        action="append",
        default=[],
        metavar="CODE=NAME",
        help="a commune, e.g. 59350=Lille (repeat for each commune)",
    )
    _tenant_option(set_tenant)
    set_tenant.set_defaults(handler=_set_tenant)

    communes = tenant_actions.add_parser(
        "communes",
        help="store the boundaries of the tenant's communes (for alerts by area)",
        description="Boundaries from --geojson FILE (features with code/nom), or else from the "
        "IGN Admin Express files of BOCAGE_COMMUNES_DIR (default ../shared/data/communes).",
    )
    communes.add_argument("--geojson", type=Path, help="a GeoJSON file of the communes")
    _tenant_option(communes)
    communes.set_defaults(handler=_store_boundaries)


def _tenant_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", help="tenant slug (default: $BOCAGE_TENANT, or demo)")


def _store(args: argparse.Namespace) -> Any:
    import redis

    from services.common.settings import SettingsError
    from services.gateway.settings import GatewaySettings
    from services.gateway.users import UserStore

    try:
        settings = GatewaySettings.from_env()
        if args.tenant:
            settings = GatewaySettings.model_validate(
                {**settings.model_dump(), "tenant": args.tenant}
            )
    except (SettingsError, ValueError) as error:
        raise CommandError(str(error)) from None
    client = redis.Redis.from_url(
        settings.redis_url, decode_responses=True, socket_connect_timeout=3, socket_timeout=5
    )
    try:
        client.ping()
    except redis.RedisError:
        raise CommandError(
            f"Redis is not reachable at {settings.redis_url}. Start it with: {REDIS_HINT}"
        ) from None
    return UserStore(client, settings.tenant)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("no password on standard input")
        return password
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise CommandError("the two passwords differ")
    return password


def _add_user(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from contracts.users import UserCreate
    from services.common.events import describe_validation_error
    from services.gateway.auth import create_user
    from services.gateway.users import UserError

    store = _store(args)
    try:
        new = UserCreate(
            username=args.username,
            password=_read_password(args.password_stdin),
            role=args.role,
            full_name=args.full_name,
            communes=tuple(args.communes),
        )
        user = create_user(store, new)
    except ValidationError as error:
        raise CommandError(f"invalid user: {describe_validation_error(error)}") from None
    except UserError as error:
        raise CommandError(str(error)) from None
    communes = f" for {', '.join(user.communes)}" if user.communes else ""
    print(f"created {user.role.value} {user.username!r}{communes} in tenant {store.tenant!r}")
    return 0


def _set_password(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from contracts.users import PasswordReset
    from services.common.events import describe_validation_error
    from services.gateway.passwords import Passwords
    from services.gateway.users import UserError

    store = _store(args)
    try:
        reset = PasswordReset(new_password=_read_password(args.password_stdin))
        store.set_password(args.username, Passwords().hash(reset.new_password))
    except ValidationError as error:
        raise CommandError(f"invalid password: {describe_validation_error(error)}") from None
    except UserError as error:
        raise CommandError(str(error)) from None
    print(f"new password set for {args.username!r} in tenant {store.tenant!r}; sessions ended")
    return 0


def _list_users(args: argparse.Namespace) -> int:
    store = _store(args)
    users = store.list_users()
    if not users:
        print(f"no users in tenant {store.tenant!r}; add one with `bocage users add`")
        return 0
    width = max(len(user.username) for user in users)
    for user in users:
        communes = ",".join(user.communes)
        print(f"{user.username:<{width}}  {user.role.value:<10}  {communes:<12}  {user.full_name}")
    return 0


def _parse_commune(text: str) -> tuple[str, str]:
    code, sep, name = text.partition("=")
    if not sep or not code.strip() or not name.strip():
        raise CommandError(f"--commune wants CODE=NAME, e.g. 59350=Lille; got {text!r}")
    return code.strip(), name.strip()


def _set_tenant(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from contracts.gateway import TenantUpdate
    from contracts.users import Commune
    from infra.cli_tenant import check_codes, reference_dir
    from services.common.events import describe_validation_error
    from services.gateway.users import UserError

    pairs = [_parse_commune(text) for text in args.communes]
    notes = check_codes(pairs, reference_dir())
    store = _store(args)
    try:
        communes = tuple(Commune(code=code, name=name) for code, name in pairs)
        tenant = store.set_tenant(TenantUpdate(name=args.name, communes=communes))
    except ValidationError as error:
        raise CommandError(f"invalid tenant: {describe_validation_error(error)}") from None
    except UserError as error:
        raise CommandError(str(error)) from None
    print(f"tenant {tenant.slug!r}: {tenant.name}, {len(tenant.communes)} commune(s)")
    for note in notes:
        print(note)
    return 0


def _store_boundaries(args: argparse.Namespace) -> int:
    import json

    from infra.cli_tenant import boundaries_for, reference_dir
    from services.alerts import feed_records
    from services.alerts.territory import to_geojson

    store = _store(args)
    tenant = store.get_tenant()
    if not tenant.communes:
        raise CommandError(
            f"tenant {store.tenant!r} has no communes yet: `bocage tenant set` first"
        )
    wanted = {c.code: c.name for c in tenant.communes}
    communes = boundaries_for(wanted, args.geojson, reference_dir())
    feed_records.save_boundaries(store.client, store.tenant, json.dumps(to_geojson(communes)))
    print(f"tenant {store.tenant!r}: boundaries of {len(communes)} commune(s) stored")
    return 0
