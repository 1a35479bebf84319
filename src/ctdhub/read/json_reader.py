"""Loading JSON (an array of objects) and JSON Lines into DuckDB, every value kept as text.

Strings come through as they are, numbers and booleans as their JSON text, nested arrays/objects as
JSON text, null as NULL. `_row` is the record ordinal for JSON and the physical line for JSON Lines.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from ctdhub.errors import CtdhubError
from ctdhub.read.csv_detect import read_sample, wide_encoding
from ctdhub.read.csv_transcode import transcode_or_fail
from ctdhub.read.headers import clean_headers
from ctdhub.read.source_info import SourceInfo
from ctdhub.read.table import count_rows, finish_table, first_value
from ctdhub.sql import qi, ql

CHUNK = 8 * 1024 * 1024
# Most distinct keys a file may have: building the table costs time quadratic in the number of columns
# (DuckDB optimises one CASE per column), 3.6 s at 2,000 and minutes at 10,000.
MAX_FIELDS = 2_000


def _pointer(key: str) -> str:
    """A JSON Pointer for one top-level key."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


WHITESPACE_BYTES = np.frombuffer(b" \t\n\r\x0b\x0c", dtype=np.uint8)  # what bytes.strip() removes


def _jsonl_lines(path: Path) -> npt.NDArray[np.int64]:
    """Line numbers of the non-blank lines of a JSON Lines file: a vectorised pass over the bytes in chunks
    (a Python loop over the lines held a Python int per line)."""
    parts: list[npt.NDArray[np.int64]] = []
    line = 1  # the line the chunk starts in
    last = 0  # the last line listed (a line cut by a chunk boundary is listed once)
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            a = np.frombuffer(chunk, dtype=np.uint8)
            newlines = np.flatnonzero(a == 10)
            filled = np.flatnonzero(~np.isin(a, WHITESPACE_BYTES))
            found = np.unique(np.searchsorted(newlines, filled).astype(np.int64) + line)
            if found.size and found[0] == last:
                found = found[1:]
            if found.size:
                parts.append(found)
                last = int(found[-1])
            line += int(newlines.size)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _load(con: duckdb.DuckDBPyConnection, path: Path, stage: str, fmt: str, label: str) -> None:
    json_format = "array" if fmt == "json" else "newline_delimited"
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {qi(stage)} AS SELECT json FROM "
            f"read_json_objects({ql(str(path))}, format={ql(json_format)})"
        )
    except UnicodeDecodeError as err:  # DuckDB's message quotes the undecodable bytes
        raise CtdhubError(
            f"{label}: the file is not UTF-8 text (byte {err.start}).", hint="Save it again as UTF-8 JSON."
        ) from None
    except duckdb.Error as err:
        first = str(err).splitlines()[0]
        hint = (
            "A .json file must hold one array of objects; use .jsonl for one object per line."
            if fmt == "json"
            else "Each line must hold one JSON object."
        )
        raise CtdhubError(f"{label}: not valid {fmt.upper()} ({first}).", hint=hint) from None


def _keys(con: duckdb.DuckDBPyConnection, stage: str) -> list[str]:
    """Top-level keys in order of first appearance."""
    sets = con.execute(
        f"SELECT json_keys(json) AS ks, min(rowid) AS first FROM {qi(stage)} GROUP BY ks ORDER BY first"
    ).fetchall()
    keys: dict[str, None] = {}
    for ks, _first in sets:
        for k in ks or []:
            keys.setdefault(k, None)
    return list(keys)


def read_json_source(con: duckdb.DuckDBPyConnection, path: Path, *, table: str, fmt: str) -> SourceInfo:
    label = path.name
    with path.open("rb") as fh:
        if not fh.read(CHUNK).strip():
            raise CtdhubError(f"{label} is empty.", hint="Check that the right file was exported.")
    stage = f"_ctdhub_stage_{table}"
    wide = wide_encoding(read_sample(path))
    if wide is None:
        _load(con, path, stage, fmt, label)
    else:  # JSON is UTF-8 (RFC 8259), but UTF-16 / UTF-32 files with a byte-order mark exist: transcoded
        copy = transcode_or_fail(path, wide, label)
        try:
            _load(con, copy, stage, fmt, label)
        finally:
            copy.unlink(missing_ok=True)
    try:
        bad = first_value(
            con, f"SELECT rowid FROM {qi(stage)} WHERE json_type(json) <> 'OBJECT' ORDER BY rowid LIMIT 1"
        )
        if isinstance(bad, int):
            what = "line" if fmt == "jsonl" else "record"
            number = bad + 1
            if fmt == "jsonl":
                lines = _jsonl_lines(path)
                number = int(lines[bad]) if bad < lines.size else number
            raise CtdhubError(
                f"{label}, {what} {number}: expected a JSON object with named fields.",
                hint='Each record must be an object such as {"case_ref": "A-1"}.',
            )
        keys = _keys(con, stage)
        if len(keys) > MAX_FIELDS:
            raise CtdhubError(
                f"{label}: the records have {len(keys):,} different fields, but a file of case records has "
                f"at most {MAX_FIELDS:,} fields, so nothing was read."
            )
        names = clean_headers(keys, label, describe=lambda n: f"key {keys[n - 1]!r} (field {n})")
        values = [f"json_extract_string(s.json, {ql(_pointer(k))})" for k in keys]
        nrows = count_rows(con, qi(stage))
        row_expr = "s.rowid + 1"
        source = f"{qi(stage)} s"
        line_view = f"_ctdhub_lines_{table}"
        registered = False
        if fmt == "jsonl":
            lines = _jsonl_lines(path)
            if lines.size == nrows and nrows and int(lines[-1]) != nrows:
                con.register(line_view, {"ord": np.arange(nrows, dtype=np.int64), "line": lines})
                registered = True
                source = f"{qi(stage)} s JOIN {qi(line_view)} l ON s.rowid = l.ord"
                row_expr = "l.line"
        try:
            rows, blanks = finish_table(
                con,
                table,
                source=source,
                row_expr=row_expr,
                values=values,
                names=names,
                order_by_row=registered,
            )
        finally:
            if registered:
                con.unregister(line_view)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {qi(stage)}")
    return SourceInfo(
        path=path,
        format=fmt,
        encoding="utf-8",
        delimiter=None,
        sheet=None,
        header_row=0,
        rows=rows,
        columns=names,
        blank_rows_skipped=blanks,
    )
