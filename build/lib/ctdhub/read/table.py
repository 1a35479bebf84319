"""The last step shared by every reader: build the output table of `_row` plus trimmed text columns."""

from __future__ import annotations

import duckdb

from ctdhub.read.headers import WHITESPACE
from ctdhub.sql import qi, ql


def text_expr(expr: str) -> str:
    """SQL for a value as the hub keeps it: surrounding whitespace trimmed, empty text as NULL."""
    return f"nullif(trim(CAST({expr} AS VARCHAR), {ql(WHITESPACE)}), '')"


def first_value(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    """The first column of the first row of `sql` (None without rows); the result is read to the end."""
    rows = con.execute(sql).fetchall()
    return rows[0][0] if rows else None


def count_rows(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    value = first_value(con, f"SELECT count(*) FROM {relation}")
    return int(value) if isinstance(value, int) else 0


def finish_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    source: str,
    row_expr: str,
    values: list[str],
    names: list[str],
    order_by_row: bool = False,
) -> tuple[int, int]:
    """CREATE OR REPLACE TEMP TABLE `table` from `source` (a FROM clause), then drop fully blank rows.

    `values` are SQL expressions (one per column, already VARCHAR or castable) named `names`.
    Returns (rows kept, blank rows skipped).
    """
    cols = [f"{row_expr} AS _row"] + [
        f"{text_expr(v)} AS {qi(n)}" for v, n in zip(values, names, strict=True)
    ]
    order = " ORDER BY _row" if order_by_row else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {qi(table)} AS SELECT {', '.join(cols)} FROM {source}{order}")
    blanks = 0
    if names:
        found = first_value(
            con, f"DELETE FROM {qi(table)} WHERE coalesce({', '.join(qi(n) for n in names)}) IS NULL"
        )
        blanks = int(found) if isinstance(found, int) else 0
    return count_rows(con, qi(table)), blanks
