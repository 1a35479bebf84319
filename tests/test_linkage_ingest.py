"""Linkage keys at ingest: a mapping's `linkage_key` column reaches the store only parsed, in the restricted
`linkage_keys` table, and nowhere else (not in cases, quarantine, findings or the report); a value that is
not a key is a row warning that never shows it; a revert removes the batch's keys, persons and pairs; an
older store gains the linkage tables. The keys are invented: no person is behind them."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from ctdhub.errors import ConfigError, CtdhubError
from ctdhub.ingest import IngestReport, check_mapping, ingest_file, resubmit_file
from ctdhub.linkage import keyformat
from ctdhub.mapping import parse_spec
from ctdhub.standard import load_standard
from ctdhub.store import Hub, init_store
from ctdhub.store.batches import revert_batch
from ctdhub.store.quarantine import export_quarantine
from ctdhub.store.schema import LINKAGE_DDL, SCHEMA_VERSION, ddl

STD = load_standard()
SPEC = """
spec: linked-org
version: '1.0'
linkage_key: pprl
columns:
  pprl: {drop: linkage key made on the contributor's side}
  case_ref: {drop: the contributor's own case number}
  sex: {field: gender, values: {F: Female, M: Male}}
  age: {derive: age}
  nationality: {field: citizenship}
"""
HEADER = ["pprl", "case_ref", "sex", "age", "nationality"]
INVALID = "pprl1.0a1b2c3d.nds.0001.NOT-A-FILTER-Zq7Xk"  # distinctive text that must never be stored


def _key(i: int, blocks: tuple[int, ...] = (1, 513)) -> keyformat.LinkageKey:
    return keyformat.LinkageKey(
        check="0a1b2c3d",
        fields="nds" if i % 2 else "ny",
        blocks=blocks,
        filter=bytes((j * (i + 3) + i) % 256 for j in range(keyformat.FILTER_BYTES)),
    )


KEYS = {2: _key(2), 3: _key(3, (65535, 0, 4660)), 6: _key(6, ())}  # file row (header: 1) → key; 6 quarantined


def _rows() -> list[list[str]]:
    """File rows 2, 3: keys; 4: not a key; 5: no key; 6: a key, but an unmapped sex (quarantined)."""
    return [
        [KEYS[2].text(), "A-1", "F", "24", "Philippines"],
        [KEYS[3].text(), "A-2", "M", "31", "Thailand"],
        [INVALID, "A-3", "F", "19", "Viet Nam"],
        ["", "A-4", "M", "40", "Thailand"],
        [KEYS[6].text(), "A-5", "X", "22", "Philippines"],
    ]


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _secrets() -> list[str]:
    """Texts that may only ever be read from the contributor's file: every key, its filter, the invalid one."""
    out = [INVALID]
    for k in KEYS.values():
        out += [k.text(), k.text().rsplit(".", 1)[1]]
    return out


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Hub, IngestReport, Path]:
    base = tmp_path_factory.mktemp("linkage")
    hub, _ = init_store(base / "hub")
    spec = base / "linked.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    report = ingest_file(hub, _write(base / "a.csv", _rows()), "org-a", spec)
    return hub, report, spec


def test_counts_hold_and_keys_land_parsed(linked: tuple[Hub, IngestReport, Path]) -> None:
    hub, report, _ = linked
    assert (report.rows_read, report.rows_stored, report.rows_quarantined) == (5, 4, 1)
    assert "pprl" in report.dropped_columns
    with hub.connect() as con:
        rows = con.execute(
            "SELECT k.case_id, k.batch_id, k.contributor, c.source_row, k.secret_check, k.fields, k.blocks, "
            "k.bits, k.ones FROM linkage_keys k JOIN cases c USING (case_id) ORDER BY c.source_row"
        ).fetchall()
    assert [r[3] for r in rows] == [2, 3]  # not row 4 (not a key), 5 (blank) nor 6 (quarantined)
    for case_id, batch_id, contributor, source_row, check, fields, blocks, bits, ones in rows:
        parsed = keyformat.parse(KEYS[source_row].text())
        assert case_id == f"{report.batch_id}-{source_row}"
        assert (batch_id, contributor) == (report.batch_id, "org-a")
        assert (check, fields) == (parsed.check, parsed.fields)
        assert tuple(blocks) == parsed.blocks
        assert list(bits) == parsed.words()
        assert ones == sum(bin(b).count("1") for b in parsed.filter)


def test_invalid_key_is_a_warning_that_never_shows_it(linked: tuple[Hub, IngestReport, Path]) -> None:
    hub, report, _ = linked
    assert report.rules["linkage_key_invalid"] == {"severity": "warning", "findings": 1, "rows": 1}
    with hub.connect() as con:
        found = con.execute(
            'SELECT source_row, "column", field, value, severity, message FROM findings '
            "WHERE rule = 'linkage_key_invalid'"
        ).fetchall()
        stored = con.execute("SELECT warnings FROM cases WHERE source_row = 4").fetchall()
    assert len(found) == 1
    row, column, field, value, severity, message = found[0]
    assert (row, column, field, value, severity) == (4, "pprl", None, None, "warning")
    assert "row 4" in message and "pprl" in message and "stored without" in message
    assert INVALID not in message and "NOT-A-FILTER" not in message
    assert stored == [(["linkage_key_invalid"],)]  # the row is stored, without a key


def test_key_text_is_in_no_table_and_no_report(
    linked: tuple[Hub, IngestReport, Path], tmp_path: Path
) -> None:
    hub, report, _ = linked
    texts = _secrets()
    with hub.connect() as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        assert {"cases", "quarantine", "findings", "linkage_keys", "persons"} <= set(tables)
        for table in tables:
            dump = json.dumps(con.execute(f'SELECT * FROM "{table}"').fetchall(), default=str)
            for t in texts:
                assert t not in dump, f"a linkage key's text is in table {table}"
        original = con.execute("SELECT original FROM quarantine").fetchall()
        exported = export_quarantine(con, tmp_path / "q.csv")
    assert len(original) == 1 and "pprl" not in json.loads(original[0][0])
    assert "pprl" not in exported["columns"]
    export_text = (tmp_path / "q.csv").read_text(encoding="utf-8")
    report_text = json.dumps(report.to_dict(), default=str)
    for t in texts:
        assert t not in export_text and t not in report_text


def test_dry_run_reports_the_warning_without_the_value(
    linked: tuple[Hub, IngestReport, Path], tmp_path: Path
) -> None:
    _, _, spec = linked
    out = check_mapping(_write(tmp_path / "dry.csv", _rows()), spec)
    assert out["rules"]["linkage_key_invalid"]["rows"] == 1
    assert out["rules"]["linkage_key_invalid"]["values"] == {}
    assert INVALID not in json.dumps(out, default=str)


def test_a_file_without_the_key_column_is_refused(
    linked: tuple[Hub, IngestReport, Path], tmp_path: Path
) -> None:
    hub, _, spec = linked
    path = _write(tmp_path / "no-key.csv", [r[1:] for r in _rows()[:2]], HEADER[1:])
    with pytest.raises(CtdhubError, match="linkage-key column 'pprl'") as err:
        ingest_file(hub, path, "org-b", spec)
    assert "nothing was ingested" in str(err.value)
    with hub.connect() as con:
        assert con.execute("SELECT count(*) FROM batches WHERE contributor = 'org-b'").fetchone() == (0,)


def test_resubmitted_row_is_stored_without_a_key(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "hub")
    spec = tmp_path / "linked.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    first = ingest_file(hub, _write(tmp_path / "a.csv", _rows()), "org-a", spec)
    with hub.connect() as con:
        export_quarantine(con, tmp_path / "fix.csv", batch_id=first.batch_id)
    text = (tmp_path / "fix.csv").read_text(encoding="utf-8").replace(",X,", ",F,")
    (tmp_path / "fix.csv").write_text(text, encoding="utf-8")
    again = resubmit_file(hub, tmp_path / "fix.csv", spec)
    assert (again.rows_stored, again.rows_quarantined) == (1, 0)
    assert "linkage_key_invalid" not in again.rules
    with hub.connect() as con:
        keys = con.execute(
            "SELECT count(*) FROM linkage_keys WHERE batch_id = ?", [again.batch_id]
        ).fetchone()
    assert keys == (0,)


def test_revert_removes_keys_persons_and_pairs_but_keeps_decisions(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "hub")
    spec = tmp_path / "linked.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    a = ingest_file(hub, _write(tmp_path / "a.csv", _rows()), "org-a", spec)
    b = ingest_file(hub, _write(tmp_path / "b.csv", _rows()[:2]), "org-b", spec)
    a1, a2, b1, b2 = f"{a.batch_id}-2", f"{a.batch_id}-3", f"{b.batch_id}-2", f"{b.batch_id}-3"
    now = datetime.now(UTC)
    with hub.writer() as con:
        con.executemany(
            "INSERT INTO persons VALUES (?, ?, 'pprl')", [[a1, "p1"], [b1, "p1"], [a2, "p2"], [b2, "p2"]]
        )
        con.executemany(
            "INSERT INTO linkage_pairs VALUES (?, ?, 'pprl', 0.97, 9.5, 'dice', 'match')",
            [[a1, b1], [b2, a2], [a1, a2], [b1, b2]],
        )
        con.executemany(
            "INSERT INTO linkage_decisions VALUES (?, ?, 'accept', 'officer', ?)",
            [[a1, b1, now], [b1, b2, now]],
        )
        assert revert_batch(con, a.batch_id) == {"cases_removed": 4}
    with hub.connect() as con:
        keys = con.execute("SELECT batch_id, count(*) FROM linkage_keys GROUP BY 1").fetchall()
        persons = con.execute("SELECT case_id FROM persons ORDER BY 1").fetchall()
        pairs = con.execute("SELECT case_a, case_b FROM linkage_pairs").fetchall()
        decisions = con.execute("SELECT case_a, case_b FROM linkage_decisions ORDER BY 1, 2").fetchall()
    assert keys == [(b.batch_id, 2)]
    assert persons == [(b1,), (b2,)]
    assert pairs == [(b1, b2)]
    assert decisions == sorted([(a1, b1), (b1, b2)])  # the team's work stays, naming a case now gone


def _v3_store(path: Path) -> Hub:
    """A store as version 3 wrote it: no linkage tables, schema_version 3."""
    path.mkdir(parents=True)
    (path / "releases").mkdir()
    hub = Hub(path)
    con = duckdb.connect(str(hub.db_path))
    try:
        for stmt in ddl():
            if stmt not in LINKAGE_DDL:
                con.execute(stmt)
        con.executemany(
            "INSERT INTO hub_meta VALUES (?, ?)",
            [["schema_version", "3"], ["standard_version", STD.version], ["created_at", "2024-01-01"]],
        )
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert "linkage_keys" not in tables and "cases" in tables
    return hub


def test_a_version_3_store_gains_the_linkage_tables(tmp_path: Path) -> None:
    hub = _v3_store(tmp_path / "old")
    spec = tmp_path / "linked.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    report = ingest_file(hub, _write(tmp_path / "a.csv", _rows()), "org-a", spec)
    assert SCHEMA_VERSION == 4 and hub.meta()["schema_version"] == "4"
    with hub.connect() as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        keys = con.execute(
            "SELECT count(*) FROM linkage_keys WHERE batch_id = ?", [report.batch_id]
        ).fetchone()
    assert {"linkage_keys", "linkage_pairs", "linkage_decisions", "persons"} <= tables
    assert keys == (2,)


def test_spec_linkage_key_must_name_a_dropped_column() -> None:
    ok = parse_spec(SPEC, "ok.yaml", STD)
    assert ok.linkage_key == "pprl" and ok.columns["pprl"].action == "drop"
    assert parse_spec(SPEC.replace("linkage_key: pprl\n", ""), "none.yaml", STD).linkage_key is None

    with pytest.raises(ConfigError) as err:
        parse_spec(SPEC.replace("linkage_key: pprl", "linkage_key: clk"), "absent.yaml", STD)
    assert "absent.yaml, line 4, field 'linkage_key'" in str(err.value)
    assert "'clk' is not described in columns" in str(err.value)

    mapped = SPEC.replace("  pprl: {drop: linkage key made on the contributor's side}", "  pprl: ignore")
    with pytest.raises(ConfigError) as err:
        parse_spec(mapped, "ignored.yaml", STD)
    assert "ignored.yaml, line 6, field 'columns.pprl'" in str(err.value)
    assert "describe it as drop" in str(err.value)

    with pytest.raises(ConfigError) as err:
        parse_spec(SPEC.replace("linkage_key: pprl", "linkage_key: [pprl]"), "list.yaml", STD)
    assert str(err.value).startswith("list.yaml, line 4"), str(err.value)
    assert "linkage_key" in str(err.value)


def test_the_engine_and_the_store_name_the_key_column_alike() -> None:
    from ctdhub.mapping import engine
    from ctdhub.store import batches

    assert engine.LINKAGE_KEY == batches.LINKAGE_KEY
