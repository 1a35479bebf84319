"""Writing Arrow record batches into the output table: values trimmed, empty text as NULL, blank rows dropped.

Used by the CSV and Excel readers. The per-value work is done by Arrow compute kernels on whole batches,
so no Python code runs per row. The result stays an Arrow table that DuckDB scans in place (registered
under the table's name): copying it into a DuckDB table would cost as much as parsing the file again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ctdhub.read.headers import WHITESPACE
from ctdhub.sql import qi

NULL_TEXT = pa.scalar(None, pa.string())

Chunk = tuple[npt.NDArray[np.int64], list[pa.Array]]


@dataclass
class BatchCounts:
    """Rows written and fully blank rows dropped, filled in while DuckDB consumes the batches."""

    rows: int = 0
    blanks: int = 0
    failure: list[BaseException] = field(default_factory=list)


def clean_text(column: pa.Array) -> pa.Array:
    """Trim surrounding whitespace; empty text becomes NULL."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    trimmed = pc.utf8_trim(column, WHITESPACE)
    return pc.if_else(pc.equal(trimmed, ""), NULL_TEXT, trimmed)


def _batches(
    schema: pa.Schema, chunks: Iterable[Chunk], counts: BatchCounts, clean: bool
) -> Iterator[pa.RecordBatch]:
    try:
        for rows, columns in chunks:
            cleaned = [clean_text(c) for c in columns] if clean else columns
            batch = pa.record_batch([pa.array(rows, pa.int64()), *cleaned], schema=schema)
            if cleaned:
                blank = functools.reduce(pc.and_, [pc.is_null(c) for c in cleaned])
                dropped = pc.sum(blank).as_py() or 0
                if dropped:
                    batch = batch.filter(pc.invert(blank))
                    counts.blanks += dropped
            counts.rows += batch.num_rows
            yield batch
    except BaseException as err:
        counts.failure.append(err)
        raise


def store_batches(
    con: duckdb.DuckDBPyConnection,
    table: str,
    names: list[str],
    chunks: Iterable[Chunk],
    *,
    clean: bool = True,
) -> BatchCounts:
    """Make `table` (`_row`, *names) from (row numbers, text columns) chunks: an Arrow table registered
    on `con` under that name (it replaces a temporary table or registration of the same name).
    `clean=False` when the columns went through `clean_text` already."""
    schema = pa.schema([pa.field("_row", pa.int64())] + [pa.field(n, pa.string()) for n in names])
    counts = BatchCounts()
    try:
        data = pa.Table.from_batches(list(_batches(schema, chunks, counts, clean)), schema=schema)
    except duckdb.Error:
        if counts.failure:
            raise counts.failure[0] from None
        raise
    replace_registration(con, table, data)
    return counts


def replace_registration(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> None:
    """Register `data` as `name` on `con`, dropping a temporary table of that name first."""
    drop_source(con, name)
    con.register(name, data)


def drop_source(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Forget a source read earlier: an Arrow registration or a temporary table named `name`."""
    con.unregister(name)
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]
    ).fetchall()
    if found[0][0]:
        con.execute(f"DROP TABLE temp.main.{qi(name)}")
    pa.default_memory_pool().release_unused()  # else the allocator keeps the freed pages for a while
