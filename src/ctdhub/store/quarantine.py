"""The data officer's work queue: list and export quarantined rows with their original values and reasons.

Quarantined rows keep the file's original text (minus dropped identifier columns). An export is a CSV
with `_source_batch`, `_source_row` and `_reasons` in front of the original columns: correct the values
in place and give the file back to `ctdhub quarantine resubmit`. `export_quarantine_xlsx` writes the same
rows and columns, escaped alike, as an Excel workbook of text cells, which resubmission reads back too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb

from ctdhub.errors import CtdhubError
from ctdhub.sql import qi, ql

STATUSES = ("open", "resubmitted", "reverted", "all")
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
XLSX_SHEET = "Quarantine"


def _where(batch_id: str | None, contributor: str | None, status: str) -> str:
    conds = []
    if batch_id:
        conds.append(f"q.batch_id = {ql(batch_id)}")
    if contributor:
        conds.append(f"b.contributor = {ql(contributor)}")
    if status != "all":
        conds.append(f"q.status = {ql(status)}")
    return ("WHERE " + " AND ".join(conds)) if conds else ""


def quarantine_summary(
    con: duckdb.DuckDBPyConnection,
    *,
    batch_id: str | None = None,
    contributor: str | None = None,
    status: str = "open",
    limit: int = 20,
) -> dict[str, Any]:
    """Counts by batch and by reason, plus the first `limit` rows."""
    where = _where(batch_id, contributor, status)
    base = f"FROM quarantine q JOIN batches b USING (batch_id) {where}"
    total = con.execute(f"SELECT count(*) {base}").fetchone()
    by_batch = con.execute(
        f"SELECT q.batch_id, b.contributor, b.file_name, count(*) {base} GROUP BY ALL ORDER BY 1"
    ).fetchall()
    by_reason = con.execute(
        f"SELECT r, count(*) FROM (SELECT unnest(q.reasons) AS r {base}) GROUP BY r ORDER BY 2 DESC, 1 LIMIT 50"
    ).fetchall()
    rows = con.execute(
        f"SELECT q.batch_id, q.source_row, q.status, q.reasons, q.original {base} "
        f"ORDER BY q.batch_id, q.source_row LIMIT {int(limit)}"
    ).fetchall()
    return {
        "rows": int(total[0]) if total else 0,
        "status": status,
        "by_batch": [{"batch_id": b, "contributor": c, "file": f, "rows": int(n)} for b, c, f, n in by_batch],
        "by_reason": {r: int(n) for r, n in by_reason},
        "first": [
            {
                "batch_id": b,
                "source_row": int(r),
                "status": s,
                "reasons": list(reasons),
                "original": json.loads(o),
            }
            for b, r, s, reasons, o in rows
        ],
    }


def _export_select(
    con: duckdb.DuckDBPyConnection, batch_id: str | None, contributor: str | None
) -> tuple[str, str, list[str]]:
    """The export's SELECT (open rows: `_source_batch`, `_source_row`, `_reasons`, then every original
    column, each escaped with `formula_safe`), its FROM clause, and the original columns."""
    where = _where(batch_id, contributor, "open")
    base = f"FROM quarantine q JOIN batches b USING (batch_id) {where}"
    keys: list[str] = []
    for (ks,) in con.execute(f"SELECT DISTINCT json_keys(q.original) {base}").fetchall():
        for k in ks or []:
            if k not in keys:
                keys.append(k)
    cols = ", ".join(f"{formula_safe(f'q.original ->> {ql(k)}')} AS {qi(k)}" for k in keys)
    reasons = formula_safe("array_to_string(q.reasons, ' | ')")
    select = (
        f"SELECT q.batch_id AS _source_batch, q.source_row AS _source_row, "
        f"{reasons} AS _reasons{', ' + cols if cols else ''} {base} "
        "ORDER BY q.batch_id, q.source_row"
    )
    return select, base, keys


def _exported(con: duckdb.DuckDBPyConnection, out: Path, base: str, keys: list[str]) -> dict[str, Any]:
    batches = {r[0] for r in con.execute(f"SELECT DISTINCT q.batch_id {base}").fetchall()}
    n = con.execute(f"SELECT count(*) {base}").fetchone()
    return {"file": str(out), "rows": int(n[0]) if n else 0, "columns": keys, "batches": sorted(batches)}


def export_quarantine(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    batch_id: str | None = None,
    contributor: str | None = None,
) -> dict[str, Any]:
    """Write open quarantined rows to a UTF-8 CSV for correction; return rows and columns written."""
    select, base, keys = _export_select(con, batch_id, contributor)
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({select}) TO {ql(str(out))} (HEADER, DELIMITER ',')")
    return _exported(con, out, base, keys)


def export_quarantine_xlsx(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    batch_id: str | None = None,
    contributor: str | None = None,
) -> dict[str, Any]:
    """Write the rows and columns `export_quarantine` writes, escaped alike, to an Excel workbook (one
    sheet; every cell text, so nothing is a formula, a date or a number Excel could change); correct it in
    Excel and resubmit the saved workbook. Return what `export_quarantine` returns."""
    import xlsxwriter

    select, base, keys = _export_select(con, batch_id, contributor)
    n = con.execute(f"SELECT count(*) {base}").fetchone()
    if n and int(n[0]) > XLSX_MAX_ROWS:
        raise CtdhubError(
            f"{int(n[0]):,} quarantined rows do not fit in one Excel sheet; export them as CSV instead."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(
        str(out),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        sheet = book.add_worksheet(XLSX_SHEET)
        text = book.add_format({"num_format": "@"})  # cells typed in later stay text too
        rel = con.execute(select)
        names = [d[0] for d in rel.description]
        sheet.set_column(0, max(len(names) - 1, 0), 18, text)
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, names)
        row = 1
        while chunk := rel.fetchmany(10_000):
            for values in chunk:
                for col, value in enumerate(values):
                    if value is not None:
                        sheet.write_string(row, col, str(value), text)
                row += 1
    finally:
        book.close()
    return _exported(con, out, base, keys)


# A cell a spreadsheet would run as a formula: = @ tab CR, or + - not starting a plain number (OWASP);
# apostrophes before it are counted too, so that a value that begins with one comes back unchanged.
_FORMULA = r"([=@\t\r]|[+-][^0-9.]|[+-]$|[+-][0-9.]*[^0-9.])"


def formula_safe(expr: str) -> str:
    """SQL: the text `expr` with a leading apostrophe when a spreadsheet would read it as a formula, so a
    data officer opening the export in Excel runs nothing (`formula_restored` undoes it on resubmission)."""
    e = f"({expr})"
    return f"(CASE WHEN regexp_matches({e}, '^''*{_FORMULA}') THEN '''' || {e} ELSE {e} END)"


def formula_restored(expr: str) -> str:
    """SQL: what `formula_safe` did undone (its apostrophe removed)."""
    e = f"({expr})"
    return f"(CASE WHEN regexp_matches({e}, '^''''*{_FORMULA}') THEN substr({e}, 2) ELSE {e} END)"


_FORMULA_TEXT = re.compile("^'*" + _FORMULA)


def formula_safe_text(value: str) -> str:
    """`formula_safe` for a value in Python (a file written row by row, such as one corrected row)."""
    return "'" + value if _FORMULA_TEXT.match(value) else value
