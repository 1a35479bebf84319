"""Create and open a hub store: a directory holding `hub.duckdb` (and later `releases/`).

All writes go through `Hub.writer()`, which holds an exclusive lock file for the duration of the
write, so two ingests can never interleave. Reads open the database read-only. Opening for writing first
brings a store written by an earlier version up to date (`ctdhub.store.schema.upgrade`).

The store keeps one secret of its own in `hub_meta`: the key of the person-key hash (HMAC-SHA256), made
when the store is created (or, for an older store, when a mapping with a person key is first used). It
never leaves the store: `Hub.meta()` leaves it out.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ctdhub import __version__
from ctdhub.errors import CtdhubError
from ctdhub.sql import ql
from ctdhub.standard import STANDARD_VERSION
from ctdhub.store.schema import SCHEMA_VERSION, ddl, upgrade

DB_NAME = "hub.duckdb"
LOCK_NAME = ".writer.lock"
BUILDING_GLOB = ".building-*"  # a release being built (see ctdhub.release.create)
SECRET_KEY = "person_key_secret"  # hub_meta key of the person-key HMAC secret (hex)
# DuckDB's memory for work on files of any size (an ingest, a dry run): beyond it, temporary tables, joins
# and sorts spill to disk, so a file larger than memory is worked on in bounded memory
SPILL_MEMORY_LIMIT = "1GB"


def default_store_path() -> Path:
    return Path(os.environ.get("CTDHUB_STORE") or "hub")


@dataclass(frozen=True)
class Hub:
    """A hub store on disk."""

    path: Path

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def releases_dir(self) -> Path:
        return self.path / "releases"

    def connect(self, *, read_only: bool = True, wait: float | None = None) -> duckdb.DuckDBPyConnection:
        """A connection to the store. While another process holds the database (an ingest or a release
        writing; a reader, for the writer), wait for it — up to `wait` seconds (default: $CTDHUB_LOCK_WAIT,
        else 120) — then stop with a sentence."""
        limit = lock_wait() if wait is None else wait
        deadline = time.monotonic() + limit
        pause = 0.05
        while True:
            try:
                return duckdb.connect(str(self.db_path), read_only=read_only)
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                # another process holds the file (IOException: lock), or a writer of this process (the
                # portal's ingest or release build) holds it with another configuration
                if not any(w in str(exc).lower() for w in ("lock", "different configuration")):
                    raise CtdhubError(f"Cannot open the hub store at {self.path}: {exc}.") from None
                if time.monotonic() >= deadline:
                    raise CtdhubError(
                        f"The hub store at {self.path} is busy: another ctdhub process "
                        f"{'has it open' if not read_only else 'is writing to it'} (waited {limit:g} s).",
                        hint="Try again when it ends, or set CTDHUB_LOCK_WAIT to wait longer.",
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 1.0)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single writer: an exclusive lock, one connection, one transaction per use."""
        lock_path = self.path / LOCK_NAME
        with lock_path.open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CtdhubError(
                    f"Another ctdhub process is writing to the hub store at {self.path}; try again when it ends."
                ) from None
            self._remove_unfinished_builds()
            con = self.connect(read_only=False)
            try:
                upgrade(con)
                yield con
            finally:
                con.close()
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _remove_unfinished_builds(self) -> None:
        """Delete what a killed `release create` left (`releases/.building-*`, restricted snapshot included):
        no build can be running, as the caller holds the writer lock that every build holds."""
        if self.releases_dir.is_dir():
            for stale in self.releases_dir.glob(BUILDING_GLOB):
                shutil.rmtree(stale, ignore_errors=True)

    def meta(self) -> dict[str, str]:
        con = self.connect()
        try:
            rows = con.execute("SELECT key, value FROM hub_meta WHERE key <> ?", [SECRET_KEY]).fetchall()
            return {k: v for k, v in rows}
        finally:
            con.close()


def lock_wait() -> float:
    """Seconds to wait for the store when another process holds it ($CTDHUB_LOCK_WAIT, default 120)."""
    raw = os.environ.get("CTDHUB_LOCK_WAIT", "")
    try:
        return max(float(raw), 0.0) if raw else 120.0
    except ValueError:
        return 120.0


def person_key_secret(con: duckdb.DuckDBPyConnection) -> bytes:
    """The hub's secret key for person-key hashes; made and stored on first use (`con` is the writer)."""
    row = con.execute("SELECT value FROM hub_meta WHERE key = ?", [SECRET_KEY]).fetchone()
    if row is None:
        value = secrets.token_hex(32)
        con.execute("INSERT INTO hub_meta VALUES (?, ?)", [SECRET_KEY, value])
        return bytes.fromhex(value)
    return bytes.fromhex(str(row[0]))


def init_store(path: str | Path | None = None) -> tuple[Hub, bool]:
    """Create the store if needed; return (hub, created). Idempotent on an existing store."""
    hub = Hub(Path(path) if path is not None else default_store_path())
    if hub.path.exists() and not hub.path.is_dir():
        raise CtdhubError(f"Cannot create a hub store at {hub.path}: a file with that name exists.")
    created = not hub.db_path.exists()
    hub.path.mkdir(parents=True, exist_ok=True)
    hub.releases_dir.mkdir(exist_ok=True)
    with hub.writer() as con:
        for stmt in ddl():
            con.execute(stmt)
        if created:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            con.executemany(
                "INSERT INTO hub_meta VALUES (?, ?)",
                [
                    ["schema_version", str(SCHEMA_VERSION)],
                    ["standard_version", STANDARD_VERSION],
                    ["created_at", now],
                    ["created_by", f"ctdhub {__version__}"],
                ],
            )
            person_key_secret(con)
    return hub, created


def open_store(path: str | Path | None = None) -> Hub:
    """Open an existing store, with a clear message when there is none."""
    hub = Hub(Path(path) if path is not None else default_store_path())
    if not hub.db_path.exists():
        raise CtdhubError(
            f"There is no hub store at {hub.path}.", hint="Create one with 'ctdhub init --store PATH'."
        )
    return hub


@contextmanager
def memory_bounded(con: duckdb.DuckDBPyConnection, limit: str = SPILL_MEMORY_LIMIT) -> Iterator[None]:
    """Hold DuckDB's memory on `con` to `limit` for the block: temporary tables, joins and sorts beyond it
    spill to the connection's temporary directory (for the store, `hub.duckdb.tmp` beside it, which DuckDB
    empties and removes when the connection closes). The previous limit comes back afterwards, so other uses
    of a shared connection keep theirs: the default exactly, a limit set earlier as DuckDB shows it (to 0.1
    GiB: DuckDB shows no more)."""
    shown = _memory_limit(con)
    con.execute("RESET memory_limit")
    custom = shown if _memory_limit(con) != shown else None
    con.execute(f"SET memory_limit = {ql(limit)}")
    restore = f"SET memory_limit = {ql(custom)}" if custom else "RESET memory_limit"
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # the block's own error is the one to report
            con.execute(restore)
        raise
    con.execute(restore)


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    return str(row[0]) if row else ""


@contextmanager
def spilling_connection(
    limit: str = SPILL_MEMORY_LIMIT, within: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private in-memory DuckDB held to `limit`, spilling to a temporary directory (inside `within` when
    given; `spill_directory` names it) removed afterwards."""
    prefix = ".spill-" if within is not None else "ctdhub-spill-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=within) as spill:
        con = duckdb.connect(config={"memory_limit": limit, "temp_directory": spill})
        try:
            yield con
        finally:
            con.close()


def spill_directory(con: duckdb.DuckDBPyConnection) -> Path:
    """The directory `con` spills to (for a `spilling_connection`: its temporary directory)."""
    row = con.execute("SELECT current_setting('temp_directory')").fetchone()
    return Path(str(row[0])) if row else Path()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One DuckDB transaction: committed when the block ends, rolled back when it raises. The block's own
    error is the one that propagates: a failure such as a full disk may already have ended the transaction,
    and the ROLLBACK's "no transaction is active" would otherwise replace the real cause."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # already rolled back by DuckDB: nothing left to undo
            con.execute("ROLLBACK")
        raise
