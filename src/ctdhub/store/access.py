"""The access database beside the case store: organisations, users, API tokens, sessions and the audit log.

It is its own DuckDB file (`access.duckdb` in the store directory), not a table of `hub.duckdb`: a
sign-in or an audit entry must be written while an ingest or a release build holds the case store for
minutes, and DuckDB lets one process at a time open a file for writing. Every use is short (one
transaction of a few statements) and exclusive: `access_db(hub)` takes the access lock (an `flock` on
`.access.lock`, waited for up to a few seconds), opens the file, creates what is missing, and commits or
rolls back. One writer owns all writes here too, one use at a time.

Nothing in this database is case data: user names, organisation names, password hashes (argon2), hashes
of tokens and session keys, and the audit trail of who did what.
"""

from __future__ import annotations

import fcntl
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ctdhub.errors import CtdhubError
from ctdhub.store.hub import Hub, transaction

ACCESS_DB = "access.duckdb"
ACCESS_LOCK = ".access.lock"
ACCESS_WAIT = 10.0  # seconds: every use is a few statements, so a longer wait means something is wrong
SIGNING_KEY = "signing_key"  # access_meta key of the secret that signs session cookies (hex)

DDL = [
    "CREATE TABLE IF NOT EXISTS access_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS organisations (
  name VARCHAR PRIMARY KEY,
  mapping VARCHAR,
  created_at TIMESTAMPTZ NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS users (
  name VARCHAR PRIMARY KEY,
  role VARCHAR NOT NULL,
  org VARCHAR,
  password_hash VARCHAR NOT NULL,
  disabled BOOLEAN NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  password_set_at TIMESTAMPTZ NOT NULL,
  terms_accepted_at TIMESTAMPTZ
)""",
    """CREATE TABLE IF NOT EXISTS tokens (
  token_id VARCHAR PRIMARY KEY,
  user_name VARCHAR NOT NULL,
  secret_sha256 VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  last_used_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
)""",
    """CREATE TABLE IF NOT EXISTS sessions (
  session_sha256 VARCHAR PRIMARY KEY,
  user_name VARCHAR NOT NULL,
  csrf VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL
)""",
    "CREATE SEQUENCE IF NOT EXISTS audit_seq START 1",
    """CREATE TABLE IF NOT EXISTS audit_log (
  seq BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
  logged_at TIMESTAMPTZ NOT NULL,
  actor VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  detail VARCHAR NOT NULL,
  remote VARCHAR NOT NULL
)""",
]


@contextmanager
def access_db(hub: Hub, *, wait: float = ACCESS_WAIT) -> Iterator[duckdb.DuckDBPyConnection]:
    """One exclusive, short use of the access database, in one transaction (created on first use)."""
    lock_path = hub.path / ACCESS_LOCK
    with lock_path.open("a") as lock:
        _flock(lock.fileno(), hub, wait)
        path = hub.path / ACCESS_DB
        known = path in _CREATED and path.exists()  # checked before connecting, which creates the file
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
            raise CtdhubError(f"Cannot open the access database in {hub.path}: {exc}.") from None
        try:
            if not known:
                _create(con, path)
            with transaction(con):
                yield con
        finally:
            con.close()
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


_CREATED: set[Path] = set()  # access databases this process has created or checked (DDL once, not per use)


def _create(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Create what is missing, on the first use of `path` in this process (and again if the file was
    deleted since); later uses skip the DDL: every page of the portal opens the database at least once."""
    for stmt in DDL:
        con.execute(stmt)
    _CREATED.add(path)


def _flock(fd: int, hub: Hub, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise CtdhubError(
                    f"The access database in {hub.path} is busy (waited {wait:g} s).",
                    hint="Another ctdhub process holds it; try again in a moment.",
                ) from None
            time.sleep(0.01)


def signing_key(con: duckdb.DuckDBPyConnection) -> bytes:
    """The secret that signs session cookies; made on first use, never shown."""
    row = con.execute("SELECT value FROM access_meta WHERE key = ?", [SIGNING_KEY]).fetchone()
    if row is None:
        value = secrets.token_hex(32)
        con.execute("INSERT INTO access_meta VALUES (?, ?)", [SIGNING_KEY, value])
        return bytes.fromhex(value)
    return bytes.fromhex(str(row[0]))
