"""What every reader's output table shares: the rows kept and blank rows dropped (`BatchCounts`), the name
of the table behind a source published as a view (`parsed_table`), and how a source is forgotten
(`drop_source`). Kept apart from `batches` so that reading a CSV file does not import Arrow's compute
kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ctdhub.sql import qi


@dataclass
class BatchCounts:
    """Rows kept and fully blank rows dropped."""

    rows: int = 0
    blanks: int = 0


def parsed_table(name: str) -> str:
    """The temporary table behind a source published as view `name` (the CSV reader's parse)."""
    return f"{name} ·parsed"


def drop_source(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Forget a source read earlier: an Arrow registration, a temporary table or a temporary view named
    `name` (and the table behind it)."""
    con.unregister(name)
    found = con.execute(
        "SELECT 'TABLE', table_name FROM duckdb_tables() WHERE temporary AND table_name IN (?, ?) "
        "UNION ALL SELECT 'VIEW', view_name FROM duckdb_views() WHERE temporary AND view_name = ? "
        "ORDER BY 1 DESC",  # the view before the table it reads
        [name, parsed_table(name), name],
    ).fetchall()
    for kind, found_name in found:
        con.execute(f"DROP {kind} temp.main.{qi(found_name)}")
    pa.default_memory_pool().release_unused()  # else the allocator keeps the freed pages for a while
