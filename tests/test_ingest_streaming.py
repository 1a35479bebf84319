"""Streaming ingest (issue 15): a file is read in bounded chunks into DuckDB tables held to a memory limit,
and the result is the one a single-chunk read gives — same cases, quarantine and findings, one batch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdhub.demo.generate import demo_spec_path, write_casework_csv
from ctdhub.errors import CtdhubError
from ctdhub.ingest import IngestReport, check_mapping, ingest_file, prepare
from ctdhub.read import csv_lines, read_source, xlsx_reader
from ctdhub.store import Hub, init_store
from ctdhub.store.hub import SPILL_MEMORY_LIMIT, memory_bounded, spilling_connection

SPEC = demo_spec_path("harbour-casework")
ROWS = 1_500


@pytest.fixture(scope="module")
def casework(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's case-management export with its intended defects (some rows quarantined, warnings)."""
    return write_casework_csv(tmp_path_factory.mktemp("streaming") / "casework.csv", ROWS, seed=5)


def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scan the bytes for line numbers 512 bytes at a time (DuckDB parses the file in its own chunks)."""
    monkeypatch.setattr(csv_lines, "CHUNK", 512)


def count_scan_chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of records found in each chunk of the byte scan."""
    sizes: list[int] = []
    add = csv_lines._Found.add

    def spy(self: csv_lines._Found, lines: Any) -> None:
        sizes.append(int(lines.size))
        add(self, lines)

    monkeypatch.setattr(csv_lines._Found, "add", spy)
    return sizes


def stored(hub: Hub, batch_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The batch as stored, without its id: cases, quarantine entries and findings, in a fixed order."""
    with hub.connect() as con:
        cols = [r[0] for r in con.execute("DESCRIBE cases").fetchall() if r[0] not in ("case_id", "batch_id")]
        sel = ", ".join(f'"{c}"' for c in cols)
        return {
            "cases": con.execute(
                f"SELECT {sel} FROM cases WHERE batch_id = ? ORDER BY source_row", [batch_id]
            ).fetchall(),
            "quarantine": con.execute(
                "SELECT source_row, original, reasons, status FROM quarantine WHERE batch_id = ? "
                "ORDER BY source_row",
                [batch_id],
            ).fetchall(),
            "findings": con.execute(
                'SELECT source_row, "column", field, value, rule, severity, message FROM findings '
                "WHERE batch_id = ? ORDER BY ALL",
                [batch_id],
            ).fetchall(),
        }


def ingest(tmp_path: Path, name: str, path: Path) -> tuple[Hub, IngestReport]:
    hub, _ = init_store(tmp_path / name)
    return hub, ingest_file(hub, path, "harbour-casework", SPEC)


def test_a_multi_chunk_ingest_stores_what_a_single_chunk_ingest_stores(
    casework: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_hub, one = ingest(tmp_path, "one", casework)  # the default chunk holds the whole file
    sizes = count_scan_chunks(monkeypatch)
    tiny_chunks(monkeypatch)
    many_hub, many = ingest(tmp_path, "many", casework)
    assert len(sizes) > 20 and max(sizes) < ROWS // 10  # the line scan really ran in many chunks
    assert many.rows_read == many.rows_stored + many.rows_quarantined == ROWS
    assert many.rows_quarantined > 0 and many.warnings > 0  # the generator's defects: all paths used
    keep = ("rows_read", "rows_stored", "rows_quarantined", "rows_skipped", "warnings", "rules", "unmapped")
    assert {k: getattr(many, k) for k in keep} == {k: getattr(one, k) for k in keep}
    assert stored(many_hub, many.batch_id) == stored(one_hub, one.batch_id)
    with many_hub.connect() as con:
        batch = con.execute(
            "SELECT rows_read, rows_stored, rows_quarantined FROM batches WHERE batch_id = ?", [many.batch_id]
        ).fetchone()
    assert batch == (ROWS, many.rows_stored, many.rows_quarantined)


def test_a_multi_chunk_dry_run_agrees_with_a_single_chunk_one(
    casework: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = check_mapping(casework, SPEC)
    tiny_chunks(monkeypatch)
    assert check_mapping(casework, SPEC) == one


def test_line_numbers_survive_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quoted newlines, empty lines and CRLF endings across many small chunks: `_row` is still the physical
    line where each record starts, as a one-chunk read gives it."""
    lines = ["id,note,place"]
    for i in range(400):
        note = f'"first line\nsecond, of {i}"' if i % 7 == 0 else f"note {i}"
        lines.append(f"{i},{note},P{i % 5}")
        if i % 11 == 0:
            lines.append("")
    path = tmp_path / "multiline.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))

    def read() -> tuple[Any, list[tuple[Any, ...]]]:
        with duckdb.connect() as con:
            info = read_source(con, path, table="raw")
            return info, con.execute("SELECT * FROM raw ORDER BY _row").fetchall()

    one_info, one_rows = read()
    sizes = count_scan_chunks(monkeypatch)
    tiny_chunks(monkeypatch)
    many_info, many_rows = read()
    assert len(sizes) > 5
    assert many_rows == one_rows and many_info == one_info
    assert len(many_rows) == 400 and many_info.blank_rows_skipped == 37
    assert many_rows[1] == (5, "1", "note 1", "P1")  # lines 2-3: record 0; line 4: empty


def test_the_scan_keeps_only_where_a_records_line_stops_following_its_ordinal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of one line per record keeps one break and is read as a view over DuckDB's parse; records
    spanning lines and empty lines add a break each, across scan chunks, and the lines come out exact."""
    regular = tmp_path / "regular.csv"
    regular.write_text("id,v\n" + "".join(f"{i},x{i}\n" for i in range(3_000)), encoding="utf-8")
    tiny_chunks(monkeypatch)
    scan = csv_lines.record_lines(regular, compact=True)
    assert scan.records == 3_001 and scan.breaks[0].tolist() == [0] and scan.breaks[1].tolist() == [1]
    irregular = tmp_path / "irregular.csv"
    body = "".join(
        f'{i},"a\nb"\n' if i in (10, 2_000) else f"{i},x\n" + ("\n" if i == 1_500 else "")
        for i in range(3_000)
    )
    irregular.write_text("id,v\n" + body, encoding="utf-8")
    compact = csv_lines.record_lines(irregular, compact=True)
    full = csv_lines.record_lines(irregular).lines
    ordinals, offsets = compact.breaks
    assert ordinals.tolist() == [0, 12, 1_502, 2_002]  # after each two-line record and the empty line
    rebuilt = [i + offsets[ordinals <= i][-1] for i in range(compact.records)]
    assert rebuilt == full.tolist()
    with duckdb.connect() as con:
        read_source(con, regular, table="a")
        read_source(con, irregular, table="b")
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert kinds["a"] == "VIEW" and kinds["b"] != "VIEW"
        assert con.execute(
            "SELECT _row, v FROM b WHERE id IN ('10', '11', '2999') ORDER BY _row"
        ).fetchall() == [(12, "a\nb"), (14, "x"), (3_004, "x")]


@pytest.mark.parametrize("kind", ["latin-1 beyond the sample", "mixed line endings"])
def test_a_file_read_again_is_read_whole_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A pass that fails part-way (invalid UTF-8 found late, or CRLF and LF mixed) is followed by another
    over a fixed copy: the table then holds every row of that second pass, as a one-chunk read gives it."""
    rows = [
        f"{i},Jos\u00e9 {i},caf\u00e9" if i > 4_000 else f"{i},name {i},place number {i}"
        for i in range(5_000)
    ]
    path = tmp_path / f"{kind.split()[0]}.csv"
    if kind.startswith("latin"):
        path.write_bytes(("id,name,place\n" + "\n".join(rows) + "\n").encode("iso8859-1"))
    else:
        ends = ["\r\n" if i % 3 else "\n" for i in range(len(rows))]
        path.write_bytes(
            ("id,name,place\r\n" + "".join(r + e for r, e in zip(rows, ends, strict=True))).encode("utf-8")
        )

    def read() -> tuple[Any, list[tuple[Any, ...]]]:
        with duckdb.connect() as con:
            info = read_source(con, path, table="raw")
            return info, con.execute("SELECT * FROM raw ORDER BY _row").fetchall()

    one_info, one_rows = read()
    tiny_chunks(monkeypatch)
    many_info, many_rows = read()
    assert many_rows == one_rows and many_info == one_info
    assert len(many_rows) == 5_000 and many_rows[-1][0] == 5_001 and one_info.notes


def test_a_workbook_read_in_chunks_of_rows_reads_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet whose data starts below a title and right of column A, with blank rows, date and number
    cells, and a column without header filled only far down: chunks of 7 rows give the one-chunk table."""
    import xlsxwriter

    path = tmp_path / "cases.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Cases")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 1, "Case records")
    for c, name in enumerate(["ref", "sex", "age", "registered"]):
        sheet.write(2, 1 + c, name)
    for i in range(100):
        if i % 9 == 4:
            continue  # a blank row
        sheet.write(3 + i, 1, f"R-{i}")
        sheet.write(3 + i, 2, "F" if i % 2 else "M")
        sheet.write_number(3 + i, 3, 20 + i % 30 + (0.5 if i % 10 == 0 else 0))
        sheet.write_datetime(3 + i, 4, dt.datetime(2020, 1, 1) + dt.timedelta(days=i), dates)
    sheet.write(95, 6, "a note far down, in a column without header")
    book.close()

    def read() -> tuple[Any, list[tuple[Any, ...]]]:
        with duckdb.connect() as con:
            info = read_source(con, path, table="raw")
            return info, con.execute("SELECT * FROM raw ORDER BY _row").fetchall()

    one_info, one_rows = read()
    monkeypatch.setattr(xlsx_reader, "CHUNK_ROWS", 7)
    many_info, many_rows = read()
    assert many_rows == one_rows and many_info == one_info
    assert many_info.header_row == 3 and len(many_info.columns) == 5 and many_info.rows == 89
    assert many_rows[0] == (4, "R-0", "M", "20.5", "2020-01-01", None)


def test_a_failure_late_in_the_file_stores_nothing(
    casework: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record that cannot be parsed after many chunks were read: a sentence naming its line, no batch."""
    lines = casework.read_text(encoding="utf-8").splitlines()
    bad = 1_300
    lines[bad - 1] += ",an extra value"
    path = tmp_path / "late-error.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tiny_chunks(monkeypatch)
    hub, _ = init_store(tmp_path / "hub")
    with pytest.raises(CtdhubError, match=f"line {bad}: the row has"):
        ingest_file(hub, path, "harbour-casework", SPEC)
    with hub.connect() as con:
        for table in ("batches", "cases", "quarantine", "findings"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


def test_the_ingest_runs_under_the_memory_limit_and_restores_it(
    casework: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's memory is held to SPILL_MEMORY_LIMIT while the file is prepared and stored."""
    seen: list[str] = []

    def spying_prepare(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0]))  # type: ignore[index]
        return prepare(con, *args, **kwargs)

    monkeypatch.setattr("ctdhub.ingest.prepare", spying_prepare)
    hub, report = ingest(tmp_path, "hub", casework)
    assert report.rows_read == ROWS
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{SPILL_MEMORY_LIMIT}'")
        expected = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert expected is not None and seen == [expected[0]]
    with spilling_connection() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == expected
        spill = Path(str(con.execute("SELECT current_setting('temp_directory')").fetchone()[0]))  # type: ignore[index]
        assert spill.is_dir()
    assert not spill.exists()  # the private spill directory is removed afterwards
    assert not any(p.name.endswith(".tmp") for p in hub.path.iterdir())  # the store's spill is gone too


def test_memory_bounded_gives_back_the_previous_limit() -> None:
    with duckdb.connect() as con:
        default = con.execute("SELECT current_setting('memory_limit')").fetchone()
        with memory_bounded(con, "100MB"):
            assert con.execute("SELECT current_setting('memory_limit')").fetchone() != default
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == default
        con.execute("SET memory_limit = '3GiB'")  # a limit set earlier by another use of the connection
        before = con.execute("SELECT current_setting('memory_limit')").fetchone()
        with pytest.raises(RuntimeError), memory_bounded(con, "100MB"):
            raise RuntimeError("a failed ingest")
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == before


@pytest.mark.parametrize(
    ("body", "other"),
    [
        ("".join(f"{i},x y\r\n" for i in range(300)), False),  # CRLF endings, split across chunks
        ("".join(f"{i},x y\n" for i in range(300)) + "300,x\ty\n", True),
        ("".join(f"{i},x\u00a0\n" for i in range(300)), True),  # a no-break space, split or not
        ("".join(f"{i},voil\u00e0\n" for i in range(1_500)), False),  # à is C3 A0: A0 alone is no space
        ("".join(f"{i},voil\u00e0\n" for i in range(1_500)) + "x,y\u00a0\n", True),
        ("".join(f'{i},"x\ny"\n' for i in range(3)), True),  # a line end inside quotes
        ("".join(f"{i},x\ry\n" for i in range(3)), True),  # a carriage return not ending a line
    ],
)
def test_the_scan_tells_whether_values_need_more_than_trimming_spaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, other: bool
) -> None:
    """Only a file with whitespace other than spaces pays for trimming it: the scan says which, across chunks
    that split a CRLF pair or a no-break space's two bytes; the values come out trimmed either way."""
    path = tmp_path / "ws.csv"
    path.write_bytes(("id,v\n" + body).encode("utf-8"))
    for size in (7, 8, 9, 10, 11, 1 << 20):  # chunk ends at every byte of a line, or one chunk
        monkeypatch.setattr(csv_lines, "CHUNK", size)
        assert csv_lines.record_lines(path, compact=True).other_whitespace is other, size
    if "\r" in body.replace("\r\n", ""):
        return  # DuckDB may take a bare carriage return for a line end (a documented limitation)
    with duckdb.connect() as con:
        read_source(con, path, table="raw")
        values = {v for (v,) in con.execute("SELECT v FROM raw").fetchall()}
    assert values and all(v == v.strip(" \t\r\n\u00a0") for v in values)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b'"', b"\n", b"a", b"\r"]), max_size=80))
def test_the_quote_parity_before_each_newline_is_counted_exactly(parts: list[bytes]) -> None:
    """The scan's parity of quotes before each newline (stretches between newlines, XOR-accumulated) is
    the count of quotes before it, mod 2."""
    chunk = b"".join(parts)
    a = np.frombuffer(chunk, dtype=np.uint8)
    npos = np.flatnonzero(a == csv_lines.NEWLINE)
    expected = [chunk[:i].count(b'"') % 2 for i in npos.tolist()]
    assert csv_lines._quotes_before((a == csv_lines.QUOTE).view(np.uint8), npos).tolist() == expected
