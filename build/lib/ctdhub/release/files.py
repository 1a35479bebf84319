"""Writing release tables as CSV, Parquet and XLSX, with checksums.

CSV and Parquet are written by DuckDB's COPY. XLSX is streamed with xlsxwriter in constant-memory mode;
tables larger than `XLSX_MAX_ROWS` rows are not written as a spreadsheet (CSV and Parquet always are).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import xlsxwriter

from ctdhub.sql import qi, ql

XLSX_MAX_ROWS = 60_000  # beyond this a spreadsheet is slow to write and to open: CSV and Parquet remain
MEDIATYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "md": "text/markdown",
    "html": "text/html",
    "txt": "text/plain",
}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def copy_table(con: duckdb.DuckDBPyConnection, table: str, path: Path, fmt: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        con.execute(f"COPY (SELECT * FROM {qi(table)}) TO {ql(str(path))} (HEADER, DELIMITER ',')")
    elif fmt == "parquet":
        con.execute(f"COPY (SELECT * FROM {qi(table)}) TO {ql(str(path))} (FORMAT parquet, COMPRESSION zstd)")
    else:
        raise ValueError(fmt)
    return path


def write_xlsx(con: duckdb.DuckDBPyConnection, sheets: dict[str, str], path: Path) -> Path | None:
    """One sheet per table (sheet name -> table); None when a table is too large for a spreadsheet."""
    for table in sheets.values():
        n = con.execute(f"SELECT count(*) FROM {qi(table)}").fetchone()
        if n and int(n[0]) > XLSX_MAX_ROWS:
            return None
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    bold = wb.add_format({"bold": True})
    for sheet, table in sheets.items():
        ws = wb.add_worksheet(sheet[:31])
        rel = con.execute(f"SELECT * FROM {qi(table)}")
        names = [d[0] for d in rel.description]
        ws.write_row(0, 0, names, bold)
        row = 1
        while True:
            batch = rel.fetchmany(10_000)
            if not batch:
                break
            for values in batch:
                ws.write_row(row, 0, ["" if v is None else v for v in values])
                row += 1
        ws.freeze_panes(1, 0)
    wb.close()
    return path
