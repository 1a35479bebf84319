"""The audit log: an append-only record of who did what and when, never holding case data.

Every state-changing action of the portal, the upload API and the command line (sign-in, failed
sign-in, upload, resubmission, revert, approval, mapping change, release create and withdraw, restricted
download, user and token changes) appends one entry: the actor (a user name, or ``cli:<os user>`` for the
command line), an action name from ``ACTIONS``, its target (a batch, release, user or file name) and a
short detail (counts, a role) — never a value of a case. Nothing in ctdhub updates or deletes an entry.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ctdhub.store.access import access_db
from ctdhub.store.hub import Hub

ACTIONS = frozenset(
    {
        "login",
        "login.failed",
        "logout",
        "password.change",
        "user.add",
        "user.disable",
        "user.enable",
        "user.reset",
        "org.add",
        "org.mapping",
        "token.create",
        "token.revoke",
        "terms.accept",
        "upload",
        "resubmit",
        "batch.revert",
        "batch.approve",
        "batch.reject",
        "release.create",
        "release.withdraw",
        "download.restricted",
        "download.own",
        "duplicates.find",
        "duplicates.decide",
    }
)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str
    remote: str


def cli_actor() -> str:
    """The actor of a command-line action: the operating-system user running it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container's numeric user)
        return "cli:unknown"


def append(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    target: str = "",
    detail: str = "",
    remote: str = "",
) -> None:
    """Append one entry inside the caller's access-database transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, target, detail, remote) VALUES (?, ?, ?, ?, ?, ?)",
        [datetime.now(UTC), actor, action, target, detail[:500], remote],
    )


def record(hub: Hub, actor: str, action: str, target: str = "", detail: str = "", remote: str = "") -> None:
    """Append one entry in a use of its own (for actions done outside the access database)."""
    with access_db(hub) as con:
        append(con, actor, action, target, detail, remote)


def entries(
    hub: Hub, *, since: datetime | None = None, user: str | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Entries, newest first, optionally since a time and for one actor."""
    where: list[str] = ["true"]
    params: list[object] = []
    if since is not None:
        where.append("logged_at >= ?")
        params.append(since)
    if user:
        where.append("actor = ?")
        params.append(user)
    sql = (
        "SELECT seq, logged_at, actor, action, target, detail, remote FROM audit_log "
        f"WHERE {' AND '.join(where)} ORDER BY seq DESC"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with access_db(hub) as con:
        rows = con.execute(sql, params).fetchall()
    return [AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]


def failures_since(con: duckdb.DuckDBPyConnection, *, name: str, remote: str, since: datetime) -> int:
    """Failed sign-ins for this user name or from this address since `since` (for rate limiting)."""
    row = con.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND logged_at >= ? "
        "AND (target = ? OR (? <> '' AND remote = ?))",
        [since, name, remote, remote],
    ).fetchone()
    return int(row[0]) if row else 0
