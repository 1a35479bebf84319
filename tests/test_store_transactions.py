"""The store's transactions: the no-row-lost check rolls a batch back, and the real cause of a failure
(a full disk) is what the user reads, not DuckDB's "no transaction is active"."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import duckdb
import pytest

import ctdhub.ingest
from ctdhub.cli.output import _unexpected
from ctdhub.errors import CtdhubError
from ctdhub.ingest import ingest_file
from ctdhub.store import init_store
from ctdhub.store.batches import write_batch
from ctdhub.store.hub import transaction

DATA = Path(__file__).parent / "data" / "ingest"


def test_a_batch_that_loses_a_row_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub, _ = init_store(tmp_path / "hub")

    def one_row_too_many(*args: Any, rows_read: int, **kwargs: Any) -> dict[str, int]:
        return write_batch(*args, rows_read=rows_read + 1, **kwargs)

    monkeypatch.setattr(ctdhub.ingest, "write_batch", one_row_too_many)
    with pytest.raises(CtdhubError, match="rows read but"):
        ingest_file(hub, DATA / "clean.csv", "test-org", DATA / "test-org.yaml")
    with hub.connect() as con:
        assert con.execute(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM batches)"
        ).fetchone() == (0, 0)


def test_the_real_cause_survives_a_failed_rollback() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    full = OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(OSError, match="No space left"), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        con.execute("COMMIT")  # as a failing write can end the transaction itself
        raise full
    with pytest.raises(OSError, match="No space left"), transaction(con):
        con.execute("INSERT INTO t VALUES (2)")
        raise full
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)  # the second insert was undone


def test_a_full_disk_is_a_sentence_not_an_internal_error() -> None:
    kind, message = _unexpected(OSError(errno.ENOSPC, "No space left on device"))
    assert kind == "DiskFull" and message.startswith("the disk is full") and "internal" not in message
    kind, message = _unexpected(duckdb.IOException('Could not write file "x": No space left on device'))
    assert kind == "DiskFull"
