"""Loading a CSV file into DuckDB: detection in Python on the first bytes, parsing by DuckDB `read_csv`.

DuckDB parses the file (all VARCHAR, strict, explicit delimiter and quote) and cleans it (trimmed, empty
as NULL) in one SQL statement into a temporary table, in parallel and spilling beyond the connection's
memory limit (`ctdhub.store.hub.memory_bounded`), so memory does not grow with the file; no value passes
through Python. `_row` is the physical line where each record starts: a vectorised byte pass (`csv_lines`),
run in a second thread while DuckDB parses, finds the start line of every record (quoted newlines and empty
lines accounted for exactly) and keeps where a record's line stops being its ordinal plus a constant.
The table DuckDB filled is then published under the reader's name: a view numbering its rows by that
constant (a file of one line per record, the common case), or a copy joined to those breaks.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ctdhub.errors import CtdhubError
from ctdhub.read.csv_detect import (
    SAMPLE_BYTES,
    decode_sample,
    guess_delimiter,
    guess_encoding,
    normalise_encoding,
    read_sample,
    skip_lines,
)
from ctdhub.read.csv_lines import LineScan, record_lines
from ctdhub.read.csv_transcode import (
    line_of_offset,
    mixed_line_endings,
    recover_encoding,
    transcode_or_fail,
    transcode_to_utf8,
    with_lf_line_endings,
)
from ctdhub.read.headers import WHITESPACE, clean_headers
from ctdhub.read.source_info import SourceInfo
from ctdhub.read.tables import BatchCounts, drop_source, parsed_table
from ctdhub.sql import qi, ql

UTF8 = ("utf-8", "utf-8-sig")
HEADER_SAMPLE = 4 * 1024 * 1024
BREAKS_VIEW = "_ctdhub_line_breaks"  # the scan's line breaks, registered while the rows are numbered
BLANK = '" ·blank"'  # the parse's column: every value of the record is NULL (a blank row)


ONE_LINE_LIMIT = 1_000_000  # bytes: a header-only file larger than this is a file without line breaks


def _first_record(path: Path, encoding: str, delimiter: str, header_row: int) -> list[str] | None:
    """The header record (parsed by Python's csv module from the start of the file), or None if absent."""
    size = SAMPLE_BYTES
    while True:
        sample = read_sample(path, size)
        text = skip_lines(decode_sample(sample, encoding).lstrip("\ufeff"), header_row - 1)
        complete = len(sample) < size
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
        try:
            record = next(reader, None)
        except csv.Error:
            record = None
        if record is not None and (complete or reader.line_num < text.count("\n")):
            return record
        if complete or size >= HEADER_SAMPLE:
            return record
        size *= 4


def _physical_line(path: Path, duck_line: int, header_row: int) -> int:
    """DuckDB's error position counts records (empty lines included) after the skipped lines; turn it
    into the physical line where that record starts."""
    records = record_lines(path, first_line=header_row, keep_empty=True).lines
    index = duck_line - header_row
    return int(records[index]) if 0 <= index < records.size else duck_line


def _describe_duckdb_error(err: Exception, path: Path, label: str, header_row: int) -> CtdhubError:
    text = str(err)
    m = re.search(r"CSV Error on Line: (\d+)", text)
    where = f"{label}, line {_physical_line(path, int(m.group(1)), header_row)}" if m else label
    cols = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if cols:
        what = f"the row has {cols.group(2)} values but the header has {cols.group(1)} columns"
        hint = "Check for a stray delimiter or a missing value on that line (or set source.delimiter)."
    elif "unterminated quote" in text.lower():
        what = "a quoted value is never closed"
        hint = "Check the quotes on that line."
    elif "invalid unicode" in text.lower():
        what = "the file is not valid UTF-8"
        hint = "Set source.encoding in the mapping to the file's real encoding."
    else:
        detail = next((ln for ln in text.splitlines()[1:] if ln.strip() and ":" not in ln[:20]), "")
        what = f"the CSV file could not be parsed ({detail.strip() or text.splitlines()[0]})"
        hint = "Check the delimiter, quotes and encoding of the file."
    return CtdhubError(f"{where}: {what}.", hint=hint)


def _read_csv_sql(path: Path, ncols: int, delimiter: str, header_row: int) -> str:
    """DuckDB's parse of the file from the header line on, the header being the first record, each value
    trimmed of spaces (empty: NULL), and whether the record is blank (every value NULL).

    header=false on purpose: DuckDB 2.0 returns no rows for a file with a BOM whose first header cell
    is quoted; the header text comes from Python's csv module (`_first_record`) instead.
    """
    columns = "{" + ", ".join(f"{ql(f'c{i}')}: 'VARCHAR'" for i in range(1, ncols + 1)) + "}"
    return _cleaned_records(
        lambda c: f"nullif(trim({c}), '')",
        ncols,
        f"read_csv({ql(str(path))}, columns={columns}, header=false, skip={header_row - 1}, auto_detect=false, "
        f"delim={ql(delimiter)}, quote='\"', escape='\"', strict_mode=true, null_padding=false, "
        "ignore_errors=false, comment='', encoding='utf-8')",
    )


def _cleaned_records(clean: Callable[[str], str], ncols: int, source: str) -> str:
    """The columns c1..c`ncols` of `source`, each cleaned by `clean`, and whether the record is blank."""
    cleaned = ", ".join(f"{clean(f'c{i}')} AS c{i}" for i in range(1, ncols + 1))
    blank = " AND ".join(f"c{i} IS NULL" for i in range(1, ncols + 1))
    return f"SELECT *, {blank} AS {BLANK} FROM (SELECT {cleaned} FROM {source})"


# a value that starts or ends with whitespace (RE2 syntax): DuckDB's trim() with a set of characters is
# twice as slow as the whole parse, so it only runs on the values this matches
_PADDED = "^[{0}]|[{0}]$".format("".join(f"\\x{{{ord(ch):02X}}}" for ch in WHITESPACE))


def _cleaned(column: str) -> str:
    """`column` trimmed of all of `WHITESPACE`, empty as NULL (as `batches.clean_text` does with Arrow)."""
    return (
        f"CASE WHEN regexp_matches({column}, {ql(_PADDED)}) THEN nullif(trim({column}, {ql(WHITESPACE)}), '') "
        f"ELSE {column} END"
    )


def _trim_other_whitespace(con: duckdb.DuckDBPyConnection, parsed: str, ncols: int) -> None:
    """Trim the parsed values of whitespace other than spaces too (tabs, no-break spaces, line ends in
    quotes): only for a file whose byte scan found some, as the regular expression that finds the values
    to trim costs as much again as the parse of a wide file."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {qi(parsed)} AS {_cleaned_records(_cleaned, ncols, qi(parsed))}"
    )


@dataclass
class _Parse:
    """How far DuckDB's parse went: the records it gave (the header included), or the error it stopped on."""

    records: int = 0
    error: Exception | None = None


def _parse(con: duckdb.DuckDBPyConnection, sql: str, parsed: str) -> _Parse:
    """DuckDB's parse into TEMP table `parsed`, in file order (its rowid is the record's ordinal, the header
    being 0); a parse error is kept in the result, not raised."""
    con.execute("SET preserve_insertion_order = true")  # rowid = ordinal in the file
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {qi(parsed)} AS {sql}")
    except duckdb.Error as err:
        return _Parse(error=err)
    (records,) = con.execute(f"SELECT count(*) FROM {qi(parsed)}").fetchall()[0]
    return _Parse(records=int(records))


def _publish(
    con: duckdb.DuckDBPyConnection, table: str, parsed: str, names: list[str], scan: LineScan, records: int
) -> BatchCounts:
    """Name the parsed records `table` (`_row`, *names) without the header and fully blank rows: a view
    over `parsed` when every record's line is its ordinal plus one constant, else a table joined to the
    scan's breaks (records spanning lines, empty lines skipped). `records` counts the parse's records, the
    header included. Returns the rows kept and blank rows."""
    src = qi(parsed)
    (blanks,) = con.execute(f"SELECT count(*) FROM {src} WHERE rowid > 0 AND {BLANK}").fetchall()[0]
    cols = ", ".join(f"c{i} AS {qi(n)}" for i, n in enumerate(names, start=1))
    keep = f"rowid > 0 AND NOT {BLANK}"
    ordinals, offsets = scan.breaks
    if ordinals.size == 1 and ordinals[0] == 0:
        con.execute(
            f"CREATE TEMP VIEW {qi(table)} AS SELECT rowid + {int(offsets[0])} AS _row, {cols} FROM {src} "
            f"WHERE {keep}"
        )
    else:
        con.register(BREAKS_VIEW, pa.table({"ordinal": ordinals, "offset": offsets}))
        try:
            con.execute(
                f"CREATE TEMP TABLE {qi(table)} AS SELECT p._ordinal + b.offset AS _row, {cols} FROM "
                f"(SELECT rowid AS _ordinal, * FROM {src} WHERE {keep}) p "
                f"ASOF JOIN {BREAKS_VIEW} b ON p._ordinal >= b.ordinal"
            )
        finally:
            con.unregister(BREAKS_VIEW)
        con.execute(f"DROP TABLE {src}")
    return BatchCounts(rows=records - 1 - int(blanks), blanks=int(blanks))


@dataclass
class _Pass:
    """One read of the file into the output table: header names, the records parsed (or DuckDB's error),
    the rows kept and blank rows dropped, and the line scan."""

    names: list[str] | None
    parse: _Parse
    counts: BatchCounts
    scan: LineScan

    @property
    def error(self) -> Exception | None:
        return self.parse.error


def _read_pass(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    delimiter: str,
    header: int,
    label: str,
    check_utf8: bool,
    table: str,
) -> _Pass:
    """Parse with DuckDB into `table` while a second thread scans the bytes for line numbers (and invalid
    UTF-8); the table is published only when the parse read every record the scan found."""
    parse, counts = _Parse(), BatchCounts()
    drop_source(con, table)
    with ThreadPoolExecutor(max_workers=1) as pool:
        job = pool.submit(record_lines, path, first_line=header, check_utf8=check_utf8, compact=True)
        record = _first_record(path, "utf-8", delimiter, header)
        names = clean_headers(record, label) if record is not None else None
        if names:
            parse = _parse(con, _read_csv_sql(path, len(names), delimiter, header), parsed_table(table))
        scan = job.result()
    if names and parse.error is None and parse.records == scan.records:
        if scan.other_whitespace:
            _trim_other_whitespace(con, parsed_table(table), len(names))
        counts = _publish(con, table, parsed_table(table), names, scan, parse.records)
    return _Pass(names, parse, counts, scan)


def _check_all_records(run: _Pass, path: Path, label: str, header: int) -> None:
    """Refuse the file when DuckDB's parse holds fewer (or more) records than the byte scan counted.

    DuckDB drops a last record whose value exceeds its line-size limit without an error; a row lost that
    way would be neither stored nor quarantined. The scan counts records independently (header included).
    """
    parsed = run.parse.records
    expected = run.scan.records
    size = path.stat().st_size
    if expected == 1 and size > ONE_LINE_LIMIT:
        raise CtdhubError(
            f"{label} is one line of {size / 1e6:,.1f} MB: no line break ends the header, so no record "
            "could be read; nothing was stored.",
            hint="Check the file's line endings (export it again as CSV).",
        )
    if parsed == expected:
        return
    lines = record_lines(path, first_line=header).lines
    line = int(lines[min(parsed, expected - 1)]) if expected else 1
    raise CtdhubError(
        f"{label}, line {line}: the record could not be read (the file holds {expected - 1:,} data records, "
        f"{max(parsed - 1, 0):,} were read); nothing was stored.",
        hint="Check for a value of several megabytes or an unbalanced quote on that line.",
    )


def _delimiter(given: str | None, sample: bytes, enc: str, header: int, label: str) -> str:
    """The delimiter: as given (`tab` or `\\t` for a tab), else guessed from the sample; one character."""
    if given is None:
        text = skip_lines(decode_sample(sample, enc).lstrip("\ufeff"), header - 1)
        delimiter = guess_delimiter(text, truncated=len(sample) == SAMPLE_BYTES)
    elif given.lower() in ("tab", "\\t"):
        delimiter = "\t"
    else:
        delimiter = given
    if len(delimiter) != 1:
        raise CtdhubError(f"{label}: the delimiter must be one character, not {delimiter!r}.")
    return delimiter


def _no_header(label: str, header: int) -> CtdhubError:
    return CtdhubError(f"{label} has no header on line {header}.", hint="Check source.header_row.")


@dataclass
class _CsvRead:
    """The reads of one CSV file: `path` is the file DuckDB reads, the original or a temporary copy
    (transcoded to UTF-8, or with uniform line endings) that `close` deletes; `notes` say what was done."""

    con: duckdb.DuckDBPyConnection
    table: str
    path: Path
    label: str
    delimiter: str
    header: int
    notes: list[str]
    temp: Path | None = None

    def read(self, check_utf8: bool = False) -> _Pass:
        return _read_pass(
            self.con, self.path, self.delimiter, self.header, self.label, check_utf8, self.table
        )

    def use(self, copy: Path) -> None:
        """Read the temporary copy `copy` from now on (the previous copy, if any, is deleted)."""
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
        self.temp = self.path = copy

    def close(self) -> None:
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)

    def parse(self, enc: str, given: str | None) -> tuple[str, _Pass, list[str]]:
        """Parse the whole file, checked: the encoding finally read, the pass and the header names."""
        enc, run = self.first_pass(enc, given)
        if run.names is None or run.scan.records == 0:
            raise _no_header(self.label, self.header)
        if run.error is not None and mixed_line_endings(self.path):
            run = self.with_lf_line_endings()
        if run.error is not None:
            raise _describe_duckdb_error(run.error, self.path, self.label, self.header)
        if run.names is None:  # the pass after fixing line endings found no header either
            raise _no_header(self.label, self.header)
        _check_all_records(run, self.path, self.label, self.header)
        return enc, run, run.names

    def first_pass(self, enc: str, given: str | None) -> tuple[str, _Pass]:
        """Read the file as UTF-8, or transcoded from its legacy encoding `enc` (given or detected)."""
        if enc in UTF8:
            return self.utf8_pass(enc, given)
        self.use(transcode_or_fail(self.path, enc, self.label))
        return enc, self.read()

    def utf8_pass(self, enc: str, given: str | None) -> tuple[str, _Pass]:
        """Read a file taken for UTF-8. Invalid UTF-8 beyond the detection sample is an error when the
        encoding was given; otherwise the file is read again, transcoded from the encoding recovered."""
        run = self.read(check_utf8=True)
        if run.scan.utf8_error is None:
            return enc, run
        if given is not None:
            raise CtdhubError(
                f"{self.label}, line {line_of_offset(self.path, run.scan.utf8_error)}: the file is not valid UTF-8.",
                hint="Set source.encoding in the mapping to the file's real encoding.",
            )
        # Invalid UTF-8 beyond the detection sample: a UTF-8 file with a few bad bytes, or a legacy one
        enc = self.transcode_recovered(run.scan.utf8_error)
        return enc, self.read()

    def transcode_recovered(self, utf8_error: int) -> str:
        """Transcode the file from the encoding `recover_encoding` finds (UTF-8 with its bad bytes
        replaced, a legacy encoding, or Latin-1 when that fails); returns the encoding used."""
        enc, note = recover_encoding(self.path, utf8_error)
        self.notes.append(note)
        if enc == "utf-8":
            self.use(transcode_to_utf8(self.path, enc, errors="replace"))
            return enc
        try:
            self.use(transcode_to_utf8(self.path, enc))
        except UnicodeDecodeError:
            enc = "iso8859-1"
            self.use(transcode_or_fail(self.path, enc, self.label))
        return enc

    def with_lf_line_endings(self) -> _Pass:
        """Read again a copy whose lines all end in LF (the file mixes CRLF and LF)."""
        self.use(with_lf_line_endings(self.path))
        self.notes.append("lines ending in CRLF and in LF alike were read as one kind")
        return self.read()


def read_csv_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    table: str,
    header_row: int | None,
    encoding: str | None,
    delimiter: str | None,
) -> SourceInfo:
    label = path.name
    header = header_row or 1
    sample = read_sample(path)
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise CtdhubError(f"{label} is empty.", hint="Check that the right file was exported.")
    enc = normalise_encoding(encoding, label) if encoding else guess_encoding(sample)
    delimiter = _delimiter(delimiter, sample, enc, header, label)
    notes = [f"encoding detected: {enc}"] if enc not in UTF8 and encoding is None else []
    work = _CsvRead(con, table, path, label, delimiter, header, notes)
    try:
        enc, run, names = work.parse(enc, encoding)
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # the read's own error is the one to report
            drop_source(con, table)  # what a failed pass wrote
        raise
    finally:
        work.close()
    counts = run.counts
    return SourceInfo(
        path=path,
        format="csv",
        encoding=enc,
        delimiter=delimiter,
        sheet=None,
        header_row=header,
        rows=counts.rows,
        columns=names,
        blank_rows_skipped=counts.blanks + run.scan.empty_lines,
        notes=tuple(notes),
    )
