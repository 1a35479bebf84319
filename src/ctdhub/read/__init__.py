"""Pipeline stage 1: load a contributor's file (CSV, Excel, JSON, JSON Lines, Parquet) into DuckDB.

`read_source` creates a TEMP table whose first column `_row BIGINT` is the row number a person sees when
opening the file, followed by every source column as trimmed VARCHAR (empty text -> NULL), named by the
header. Fully blank rows are skipped and counted. Problems raise `CtdhubError` naming the file.

`_row` per format: CSV, the physical line where the record starts (quoted newlines and empty lines are
accounted for by a byte pass); Excel, the spreadsheet row; JSON, the record ordinal (1-based); JSON Lines,
the line number; Parquet, the row ordinal (1-based).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ctdhub.errors import CtdhubError
from ctdhub.read.csv_detect import detect_csv
from ctdhub.read.csv_reader import read_csv_source
from ctdhub.read.formats import resolve_format
from ctdhub.read.source_info import SourceInfo

__all__ = ["SourceInfo", "detect_csv", "read_source"]


def read_source(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    table: str,
    format: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> SourceInfo:
    """Load `path` into TEMP table `table` (replacing it) and describe what was read."""
    p = Path(path)
    if not p.is_file():
        raise CtdhubError(f"{p}: no such file.")
    if header_row is not None and header_row < 1:
        raise CtdhubError(f"{p.name}: header_row must be 1 or more, not {header_row}.")
    fmt = resolve_format(p, format)
    if fmt == "csv":
        return read_csv_source(
            con, p, table=table, header_row=header_row, encoding=encoding, delimiter=delimiter
        )
    # the other readers are imported when used: calamine and Arrow's compute kernels add a tenth of a
    # second to every ingest of a CSV file otherwise
    if fmt == "xlsx":
        from ctdhub.read.xlsx_reader import read_xlsx_source

        return read_xlsx_source(con, p, table=table, sheet=sheet, header_row=header_row)
    if fmt in ("json", "jsonl"):
        from ctdhub.read.json_reader import read_json_source

        return read_json_source(con, p, table=table, fmt=fmt)
    from ctdhub.read.parquet_reader import read_parquet_source

    return read_parquet_source(con, p, table=table)
