"""Writing Arrow record batches into the output table: values trimmed, empty text as NULL, blank rows dropped.

Used by the CSV and Excel readers. The per-value work is done by Arrow compute kernels on whole batches,
and DuckDB pulls the batches through a RecordBatchReader, so no Python code runs per row.
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


def _batches(schema: pa.Schema, chunks: Iterable[Chunk], counts: BatchCounts) -> Iterator[pa.RecordBatch]:
    try:
        for rows, columns in chunks:
            cleaned = [clean_text(c) for c in columns]
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
    con: duckdb.DuckDBPyConnection, table: str, names: list[str], chunks: Iterable[Chunk]
) -> BatchCounts:
    """CREATE OR REPLACE TEMP TABLE `table` (`_row`, *names) from (row numbers, text columns) chunks.

    An exception raised while producing the chunks is re-raised as itself, not as a DuckDB error.
    """
    schema = pa.schema([pa.field("_row", pa.int64())] + [pa.field(n, pa.string()) for n in names])
    counts = BatchCounts()
    reader = pa.RecordBatchReader.from_batches(schema, _batches(schema, chunks, counts))
    view = f"_ctdhub_batches_{table}"
    con.register(view, reader)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {qi(table)} AS SELECT * FROM {qi(view)}")
    except duckdb.Error:
        if counts.failure:
            raise counts.failure[0] from None
        raise
    finally:
        con.unregister(view)
    return counts
