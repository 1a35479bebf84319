"""The `cases` table's case ids (issue 15): computed from the batch and the row in a new store (no index, not
stored), stored with a PRIMARY KEY in a store made before; an ingest writes either the same way."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ctdhub.demo.generate import demo_spec_path, write_casework_csv
from ctdhub.ingest import ingest_file
from ctdhub.store import Hub, init_store
from ctdhub.store.schema import stored_case_columns

SPEC = demo_spec_path("harbour-casework")


def _cases(hub: Hub, batch_id: str) -> list[tuple[object, ...]]:
    with hub.connect() as con:
        return con.execute(
            "SELECT case_id, source_row, gender, warnings FROM cases WHERE batch_id = ? ORDER BY source_row",
            [batch_id],
        ).fetchall()


def test_case_ids_are_computed_in_a_new_store_and_stored_in_an_old_one(tmp_path: Path) -> None:
    path = write_casework_csv(tmp_path / "casework.csv", 300, seed=3)
    new, _ = init_store(tmp_path / "new")
    old, _ = init_store(tmp_path / "old")
    with duckdb.connect(str(old.db_path)) as con:  # the table as stores made before computed ids hold it
        cols = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                           "WHERE table_name = 'cases' ORDER BY ordinal_position").fetchall()  # fmt: skip
        body = ", ".join(f'"{c}" {t}' + (" PRIMARY KEY" if c == "case_id" else "") for c, t in cols)
        con.execute("DROP TABLE cases")
        con.execute(f"CREATE TABLE cases ({body})")
    with new.connect() as con:
        assert "case_id" not in stored_case_columns(con)
    with old.connect() as con:
        assert stored_case_columns(con)[0] == "case_id"
    a = ingest_file(new, path, "harbour-casework", SPEC)
    b = ingest_file(old, path, "harbour-casework", SPEC)
    assert a.rows_stored == b.rows_stored > 0 and a.rows_quarantined == b.rows_quarantined > 0
    rows_a, rows_b = _cases(new, a.batch_id), _cases(old, b.batch_id)
    assert [r[1:] for r in rows_a] == [r[1:] for r in rows_b]
    assert all(r[0] == f"{a.batch_id}-{r[1]}" for r in rows_a)
    assert all(r[0] == f"{b.batch_id}-{r[1]}" for r in rows_b)
    assert len({r[0] for r in rows_a}) == len(rows_a)
