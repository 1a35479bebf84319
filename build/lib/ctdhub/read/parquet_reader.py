"""Loading a Parquet file into DuckDB with every column cast to text (nested values as JSON text)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ctdhub.errors import CtdhubError
from ctdhub.read.headers import clean_headers
from ctdhub.read.source_info import SourceInfo
from ctdhub.read.table import finish_table
from ctdhub.sql import qi, ql

NESTED = ("STRUCT", "MAP", "UNION", "JSON")


def _as_text(column: str, type_name: str) -> str:
    t = type_name.upper()
    if t.startswith(NESTED) or t.endswith("]"):
        return f"CAST(to_json({qi(column)}) AS VARCHAR)"
    if t == "BOOLEAN":
        return f"CASE WHEN {qi(column)} THEN 'true' WHEN NOT {qi(column)} THEN 'false' END"
    return qi(column)


def read_parquet_source(con: duckdb.DuckDBPyConnection, path: Path, *, table: str) -> SourceInfo:
    label = path.name
    if path.stat().st_size == 0:
        raise CtdhubError(f"{label} is empty.", hint="Check that the right file was exported.")
    source = f"read_parquet({ql(str(path))}, file_row_number=true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as err:
        raise CtdhubError(
            f"{label}: not a readable Parquet file ({str(err).splitlines()[0]}).",
            hint="Check that the file was written completely.",
        ) from None
    columns = [(str(r[0]), str(r[1])) for r in described if r[0] != "file_row_number"]
    names = clean_headers([c for c, _ in columns], label)
    rows, blanks = finish_table(
        con,
        table,
        source=source,
        row_expr="file_row_number + 1",
        values=[_as_text(c, t) for c, t in columns],
        names=names,
        order_by_row=True,
    )
    return SourceInfo(
        path=path,
        format="parquet",
        encoding=None,
        delimiter=None,
        sheet=None,
        header_row=0,
        rows=rows,
        columns=names,
        blank_rows_skipped=blanks,
    )
