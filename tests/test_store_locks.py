"""Readers and the writer of one store in different processes: they wait for each other, then stop with a
sentence — never DuckDB's lock message."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctdhub.errors import CtdhubError
from ctdhub.store import init_store

HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(float(sys.argv[2]))"


def _hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    p = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def test_a_reader_waits_for_the_writer(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "hub")
    holder = _hold(hub.db_path, 2.0)
    try:
        t = time.monotonic()
        con = hub.connect(wait=30)
        assert con.execute("SELECT count(*) FROM cases").fetchone() == (0,)
        con.close()
        assert time.monotonic() - t > 0.5
    finally:
        holder.wait(timeout=30)


def test_a_reader_gives_up_with_a_sentence(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "hub")
    holder = _hold(hub.db_path, 5.0)
    try:
        with pytest.raises(CtdhubError, match="is busy: another ctdhub process is writing to it") as err:
            hub.connect(wait=0.3)
        assert "Conflicting lock" not in str(err.value)
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_the_cli_waits_then_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ctdhub.cli import cli

    hub, _ = init_store(tmp_path / "hub")
    holder = _hold(hub.db_path, 1.5)
    try:
        monkeypatch.setenv("CTDHUB_LOCK_WAIT", "30")
        r = CliRunner().invoke(cli, ["batch", "list", "--store", str(hub.path)])
        assert r.exit_code == 0, r.output
    finally:
        holder.wait(timeout=30)


def test_a_killed_builds_leftovers_go_at_the_next_write(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "hub")
    stale = hub.releases_dir / ".building-0007" / "restricted"
    stale.mkdir(parents=True)
    (stale / "snapshot.parquet").write_bytes(b"real records")
    with hub.writer():
        pass
    assert not (hub.releases_dir / ".building-0007").exists()
