"""The output table of the Excel and JSON readers: text cleaned (trimmed, empty as NULL), blank rows dropped.
(The CSV reader cleans in DuckDB's SQL instead.)

The readers clean each column with `clean_text` as they get it; the per-value work is done by Arrow compute
kernels on whole batches, so no Python code runs per row. Each batch is appended to a DuckDB temporary table
as soon as it is cleaned, so Python holds one batch at a time and the table, DuckDB's, spills to disk beyond
the connection's memory limit (`ctdhub.store.hub.memory_bounded`): a file larger than memory can be read.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ctdhub.read.headers import WHITESPACE
from ctdhub.read.tables import BatchCounts, drop_source
from ctdhub.sql import qi

NULL_TEXT = pa.scalar(None, pa.string())

Chunk = tuple[npt.NDArray[np.int64], list[pa.Array]]


def clean_text(column: pa.Array) -> pa.Array:
    """Trim surrounding whitespace; empty text becomes NULL."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    trimmed = pc.utf8_trim(column, WHITESPACE)
    return pc.if_else(pc.equal(trimmed, ""), NULL_TEXT, trimmed)


def _batch(
    schema: pa.Schema, rows: npt.NDArray[np.int64], columns: list[pa.Array], counts: BatchCounts
) -> pa.RecordBatch:
    """One record batch of `_row` and the columns, without its fully blank rows."""
    batch = pa.record_batch([pa.array(rows, pa.int64()), *columns], schema=schema)
    if not columns:  # records without any field (a JSON file of empty objects) are blank rows
        counts.blanks += batch.num_rows
        return batch.slice(0, 0)
    if columns:
        blank = functools.reduce(pc.and_, [pc.is_null(c) for c in columns])
        dropped = pc.sum(blank).as_py() or 0
        if dropped:
            batch = batch.filter(pc.invert(blank))
            counts.blanks += dropped
    counts.rows += batch.num_rows
    return batch


STREAM_VIEW = "_ctdhub_batches"  # the name the stream of batches is registered under while it is read


def store_batches(
    con: duckdb.DuckDBPyConnection, table: str, names: list[str], chunks: Iterable[Chunk]
) -> BatchCounts:
    """Make TEMP table `table` (`_row`, *names) from (row numbers, text columns cleaned by `clean_text`)
    chunks, which DuckDB pulls one at a time as it fills the table (one statement over an Arrow stream, three
    times faster than an INSERT per chunk); it replaces a temporary table or registration of that name."""
    schema = pa.schema([pa.field("_row", pa.int64())] + [pa.field(n, pa.string()) for n in names])
    counts = BatchCounts()
    batches = (_batch(schema, rows, cols, counts) for rows, cols in chunks)
    drop_source(con, table)
    con.register(STREAM_VIEW, pa.RecordBatchReader.from_batches(schema, batches))
    try:
        con.execute(f"CREATE TEMP TABLE {qi(table)} AS SELECT * FROM {STREAM_VIEW}")
    finally:
        con.unregister(STREAM_VIEW)
    return counts
