"""`ctdhub user`, `org`, `token` and `audit`: accounts of the hub and the audit log, for the hub team.

A thin shell over ``ctdhub.store.accounts`` and ``ctdhub.store.auditlog``; every change is audited with
the operating-system user as actor (``cli:<name>``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ctdhub.cli.commands_store import store_option
from ctdhub.cli.output import Result, command_output
from ctdhub.errors import UsageError
from ctdhub.store import accounts as acc
from ctdhub.store import open_store
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import cli_actor, entries

ROLES = click.Choice([r.value for r in acc.Role])


def _read_password(path: str | None) -> tuple[str, bool]:
    """The password from a file (its first line), or a new one-time password (generated=True)."""
    if path is None:
        return acc.new_password(), True
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the password file {path}: {exc}.") from None
    lines = text.splitlines()
    return (lines[0] if lines else ""), False


def _user_dict(u: acc.User) -> dict[str, object]:
    return {
        "name": u.name,
        "role": u.role.value,
        "org": u.org,
        "disabled": u.disabled,
        "created_at": u.created_at.isoformat(timespec="seconds"),
        "terms_accepted_at": u.terms_accepted_at.isoformat(timespec="seconds")
        if u.terms_accepted_at
        else None,
    }


@click.group()
def user() -> None:
    """Accounts: add, list, disable, enable, reset a password."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLES, help="admin, contributor or researcher.")
@click.option("--org", default=None, help="The contributor's organisation (created if new).")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Read the password from this file's first line (else a one-time password is printed).",
)
@store_option
@command_output
def user_add(name: str, role: str, org: str | None, password_file: str | None, store: str) -> Result:
    """Create an account."""
    hub = open_store(store)
    password, generated = _read_password(password_file)
    with access_db(hub) as con:
        u = acc.add_user(con, name, acc.Role(role), password, actor=cli_actor(), org=org)
    data = {**_user_dict(u), **({"one_time_password": password} if generated else {})}
    text = [f"Created {u.role.value} {u.name}" + (f" of {u.org}" if u.org else "") + "."]
    if generated:
        text.append(f"One-time password (shown once; the user changes it after signing in): {password}")
    return Result(data, text)


@user.command("list")
@store_option
@command_output
def user_list(store: str) -> Result:
    """List the accounts."""
    with access_db(open_store(store)) as con:
        users = acc.list_users(con)
    lines = [
        f"{u.name:<20} {u.role.value:<12} {u.org or '-':<24} {'disabled' if u.disabled else 'active'}"
        for u in users
    ]
    return Result({"users": [_user_dict(u) for u in users]}, lines or ["No accounts yet."])


def _set_disabled(name: str, store: str, disabled: bool) -> Result:
    with access_db(open_store(store)) as con:
        u = acc.set_disabled(con, name, disabled, actor=cli_actor())
    return Result(_user_dict(u), [f"{'Disabled' if disabled else 'Enabled'} {name}."])


@user.command("disable")
@click.argument("name")
@store_option
@command_output
def user_disable(name: str, store: str) -> Result:
    """Disable an account (its sessions and tokens stop working at once)."""
    return _set_disabled(name, store, True)


@user.command("enable")
@click.argument("name")
@store_option
@command_output
def user_enable(name: str, store: str) -> Result:
    """Enable a disabled account again."""
    return _set_disabled(name, store, False)


@user.command("reset")
@click.argument("name")
@click.option("--password-file", type=click.Path(dir_okay=False), default=None, help="New password's file.")
@store_option
@command_output
def user_reset(name: str, password_file: str | None, store: str) -> Result:
    """Give an account a new password (a one-time one unless --password-file); its sessions end."""
    password, generated = _read_password(password_file)
    with access_db(open_store(store)) as con:
        acc.set_password(con, name, password, actor=cli_actor(), action="user.reset")
    text = [f"Reset the password of {name}."]
    if generated:
        text.append(f"One-time password (shown once): {password}")
    return Result({"name": name, **({"one_time_password": password} if generated else {})}, text)


@click.group()
def org() -> None:
    """Contributing organisations and their mapping specs."""


@org.command("add")
@click.argument("name")
@click.option("--mapping", default=None, help="Mapping spec for its uploads: a built-in name or a YAML file.")
@store_option
@command_output
def org_add(name: str, mapping: str | None, store: str) -> Result:
    """Add an organisation."""
    with access_db(open_store(store)) as con:
        o = acc.add_org(con, name, actor=cli_actor(), mapping=_mapping_text(mapping))
    return Result({"name": o.name, "mapping": o.mapping is not None}, [f"Added organisation {o.name}."])


@org.command("mapping")
@click.argument("name")
@click.argument("mapping")
@store_option
@command_output
def org_mapping(name: str, mapping: str, store: str) -> Result:
    """Set the mapping spec an organisation's uploads are read with (a built-in name or a YAML file)."""
    text = _mapping_text(mapping)
    assert text is not None
    with access_db(open_store(store)) as con:
        acc.set_org_mapping(con, name, text, actor=cli_actor())
    return Result({"name": name}, [f"{name}'s uploads are read with {mapping}."])


def _mapping_text(mapping: str | None) -> str | None:
    """A spec as stored with the organisation: a file's YAML text (checked), or a built-in spec's name."""
    if mapping is None:
        return None
    from ctdhub.mapping import load_spec

    path = Path(mapping)
    if path.is_file():
        load_spec(path)  # refuse a broken spec now, with its file, line and field
        return path.read_text(encoding="utf-8")
    load_spec(mapping)
    return mapping


@org.command("list")
@store_option
@command_output
def org_list(store: str) -> Result:
    """List the organisations."""
    with access_db(open_store(store)) as con:
        orgs = acc.list_orgs(con)
    return Result(
        {"organisations": [{"name": o.name, "mapping": o.mapping is not None} for o in orgs]},
        [f"{o.name:<30} {'mapping set' if o.mapping else 'no mapping yet'}" for o in orgs] or ["None yet."],
    )


@click.group()
def token() -> None:
    """API tokens for scripted uploads."""


@token.command("create")
@click.argument("name")
@store_option
@command_output
def token_create(name: str, store: str) -> Result:
    """Create an API token for a user (shown once; send it as 'Authorization: Bearer TOKEN')."""
    with access_db(open_store(store)) as con:
        value = acc.create_token(con, name, actor=cli_actor())
    return Result({"user": name, "token": value}, [f"Token for {name} (shown once): {value}"])


@token.command("revoke")
@click.argument("token_id")
@store_option
@command_output
def token_revoke(token_id: str, store: str) -> Result:
    """Revoke a token by its id (the part after 'ctd_', before the second '_')."""
    with access_db(open_store(store)) as con:
        acc.revoke_token(con, token_id, actor=cli_actor())
    return Result({"token_id": token_id}, [f"Revoked token {token_id}."])


@click.group()
def audit() -> None:
    """The audit log: who did what and when."""


@audit.command("list")
@click.option("--since", default=None, help="Only entries from this date or time on (ISO 8601).")
@click.option("--user", "user_name", default=None, help="Only this actor's entries.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1), help="At most this many.")
@store_option
@command_output
def audit_list(since: str | None, user_name: str | None, limit: int, store: str) -> Result:
    """List audit entries, newest first."""
    when = None
    if since:
        try:
            when = datetime.fromisoformat(since)
        except ValueError:
            raise UsageError(
                f"--since {since!r} is not a date or time such as 2026-12-01 or 2026-12-01T09:00."
            ) from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    rows = entries(open_store(store), since=when, user=user_name, limit=limit)
    data = [
        {
            "seq": e.seq,
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "detail": e.detail,
            "remote": e.remote,
        }
        for e in rows
    ]
    lines = [
        f"{d['at']}  {d['actor']:<18} {d['action']:<20} {d['target']} {d['detail']}".rstrip() for d in data
    ]
    return Result({"entries": data}, lines or ["No entries."])
