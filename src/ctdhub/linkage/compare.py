"""Candidate pairs of linkage keys and their similarity (the hub's side of key linkage).

Candidates come from a self-join of the keys on a shared blocking signature (`blocks`, unnested), within
one `secret_check` only (keys made with different secrets are never compared). A signature shared by more
than `MAX_BLOCK` keys is too common to say anything (a frequent name, or a collision of the 16-bit hashes)
and is skipped; the skipped ones are counted. Pairs are ordered `case_a < case_b`.

The similarity of two filters is their Dice coefficient 2·|A∧B| / (|A| + |B|). When the two keys were made
from different fields (one lacks the date of birth, or has the year only), a missing field must not look
like a mismatch: the similarity is then the containment of the smaller filter in the larger,
|A∧B| / min(|A|, |B|), less `CONTAINMENT_PENALTY`.

How it runs (measured on 200,000 keys from `ctdhub.linkage.clk.Encoder`, 28 million block pairs, 2 busy
cores): DuckDB builds the blocks and streams the block pairs in Arrow batches; numpy counts the common bits
(`np.bitwise_count` on the 16 words, gathered by row number) in two threads and keeps only pairs at or
above a floor: 7 s and 0.65 GB, against 47 s and 1.7 GB for the same in SQL (`bit_count` of 16 ANDed
UBIGINTs over a DISTINCT pair table). A pair sharing several signatures is compared once per shared
signature and deduplicated after the floor: deduplicating the 28 million pairs first costs more than the
few repeated comparisons (only 1% of the block pairs repeat one).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ctdhub.linkage.keyformat import WORDS
from ctdhub.sql import qi

MAX_BLOCK = 400  # keys sharing a signature beyond which it is skipped as uninformative
CONTAINMENT_PENALTY = 0.18  # taken off the containment of keys made from different fields (tuned: bench)
BATCH_ROWS = 262_144  # block pairs per Arrow batch handed to numpy
THREADS = 2  # numpy workers (np.bitwise_count and the gathers release the GIL)
KEY_COLUMNS = ("case_id", "contributor", "secret_check", "fields", "blocks", "bits", "ones")

_REC = "_lk_rec"  # the keys, numbered by case_id
_KEPT = "_lk_kept"  # (rid, block) of the signatures kept
_HITS = "_lk_hits"  # pairs at or above the floor, before deduplication

UInt64s = npt.NDArray[np.uint64]
Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Comparison:
    """What one comparison run did; the similar pairs are in the table `table`."""

    table: str  # case_a, case_b, contributor_a, contributor_b, contained, similarity
    records: int  # keys read
    comparisons: int  # block pairs compared (a pair sharing k kept signatures counts k times)
    candidates: int  # distinct pairs at or above the floor
    skipped_blocks: int  # signatures shared by more than MAX_BLOCK keys
    secret_groups: int  # distinct secret checks among the keys
    seconds: float


@dataclass(frozen=True)
class Filters:
    """The keys' filters pulled once into memory, indexed by row number (`rid`)."""

    bits: UInt64s  # (n, WORDS)
    ones: Int32s  # bits set per filter
    fields: Int32s  # a code per distinct `fields` text


# --- SQL builders -----------------------------------------------------------------------------------------


def records_sql(source: str) -> str:
    """The keys of `source`, each numbered by `rid` in case_id order (so rid_a < rid_b ⟺ case_a < case_b),
    with a code of its fields text and its secret group."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {_REC} AS SELECT "
        "CAST(row_number() OVER (ORDER BY case_id) - 1 AS INTEGER) AS rid, case_id, contributor, "
        "CAST(dense_rank() OVER (ORDER BY fields) AS INTEGER) AS fields_code, "
        "CAST(dense_rank() OVER (ORDER BY secret_check) AS INTEGER) AS secret_group, blocks, bits, ones "
        f"FROM {qi(source)}"
    )


def blocks_sql(max_block: int) -> str:
    """(rid, block) for every signature shared by at most `max_block` keys; the block number carries the
    secret group, so that keys of different secrets never meet."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {_KEPT} AS "
        "WITH b AS (SELECT rid, secret_group * 65536 + CAST(UNNEST(blocks) AS INTEGER) AS block FROM "
        f"{_REC}), sized AS (SELECT rid, block, count(*) OVER (PARTITION BY block) AS n FROM b) "
        f"SELECT rid, block FROM sized WHERE n <= {int(max_block)}"
    )


def skipped_sql(max_block: int) -> str:
    return (
        "SELECT count(*) FROM (SELECT secret_group * 65536 + CAST(UNNEST(blocks) AS INTEGER) AS block "
        f"FROM {_REC}) GROUP BY block HAVING count(*) > {int(max_block)}"
    )


def block_pairs_sql() -> str:
    """Every pair of keys sharing a kept signature, rid_a < rid_b (repeated once per shared signature)."""
    return (
        f"SELECT x.rid AS a, y.rid AS b FROM {_KEPT} x JOIN {_KEPT} y ON x.block = y.block AND x.rid < y.rid"
    )


def similar_sql(out: str) -> str:
    """The distinct pairs at or above the floor, with their case ids and contributors; `contained` is the
    case id of the smaller key when the keys' fields differ (the one the containment is of), else NULL."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {qi(out)} AS SELECT ra.case_id AS case_a, rb.case_id AS case_b, "
        "ra.contributor AS contributor_a, rb.contributor AS contributor_b, "
        "CASE WHEN ra.fields_code = rb.fields_code THEN NULL WHEN ra.ones <= rb.ones THEN ra.case_id "
        "ELSE rb.case_id END AS contained, h.similarity "
        f"FROM (SELECT a, b, max(similarity) AS similarity FROM {_HITS} GROUP BY a, b) h "
        f"JOIN {_REC} ra ON ra.rid = h.a JOIN {_REC} rb ON rb.rid = h.b"
    )


# --- similarity ----------------------------------------------------------------------------------------


def similarity(filters: Filters, a: Int32s, b: Int32s) -> Floats:
    """Similarity of the pairs (a[i], b[i]) of row numbers: Dice, or the containment of the smaller filter
    in the larger less CONTAINMENT_PENALTY when the keys' fields differ."""
    common = np.bitwise_count(filters.bits[a] & filters.bits[b]).sum(axis=1, dtype=np.int32)
    ones_a, ones_b = filters.ones[a], filters.ones[b]
    dice = 2.0 * common / np.maximum(ones_a + ones_b, 1)
    contained = common / np.maximum(np.minimum(ones_a, ones_b), 1) - CONTAINMENT_PENALTY
    return np.asarray(np.where(filters.fields[a] == filters.fields[b], dice, contained), dtype=np.float64)


def load_filters(con: duckdb.DuckDBPyConnection) -> Filters:
    table = con.sql(f"SELECT bits, ones, fields_code FROM {_REC} ORDER BY rid").to_arrow_table()
    words = table.column("bits").combine_chunks()
    bits = np.asarray(words.flatten().to_numpy(), dtype=np.uint64).reshape(-1, WORDS)
    ones = np.asarray(table.column("ones").to_numpy(), dtype=np.int32)
    fields = np.asarray(table.column("fields_code").to_numpy(), dtype=np.int32)
    return Filters(bits, ones, fields)


def _hits(filters: Filters, a: Int32s, b: Int32s, floor: float) -> tuple[Int32s, Int32s, Floats]:
    sim = similarity(filters, a, b)
    keep = sim >= floor
    return a[keep], b[keep], sim[keep]


def _batches(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[Int32s, Int32s]]:
    reader = con.sql(block_pairs_sql()).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        yield (
            np.asarray(batch.column(0).to_numpy(), dtype=np.int32),
            np.asarray(batch.column(1).to_numpy(), dtype=np.int32),
        )


def _compare_streamed(
    con: duckdb.DuckDBPyConnection, filters: Filters, floor: float
) -> tuple[int, list[tuple[Int32s, Int32s, Floats]]]:
    """Stream the block pairs through THREADS numpy workers (at most 2·THREADS batches in flight)."""
    compared = 0
    found: list[tuple[Int32s, Int32s, Floats]] = []
    pending: list[Future[tuple[Int32s, Int32s, Floats]]] = []
    with ThreadPoolExecutor(THREADS) as pool:
        for a, b in _batches(con):
            compared += len(a)
            pending.append(pool.submit(_hits, filters, a, b, floor))
            while len(pending) >= 2 * THREADS:
                found.append(pending.pop(0).result())
        found += [f.result() for f in pending]
    return compared, found


def compare_keys(
    con: duckdb.DuckDBPyConnection,
    source: str,
    floor: float,
    *,
    out: str = "_lk_similar",
    max_block: int = MAX_BLOCK,
) -> Comparison:
    """Compare the keys of table `source` (columns KEY_COLUMNS) and leave the distinct pairs with a
    similarity of at least `floor` in the temporary table `out`."""
    start = time.perf_counter()
    con.execute(records_sql(source))
    con.execute(blocks_sql(max_block))
    skipped = len(con.execute(skipped_sql(max_block)).fetchall())
    records, groups = con.execute(f"SELECT count(*), count(DISTINCT secret_group) FROM {_REC}").fetchall()[0]
    filters = load_filters(con)
    compared, found = _compare_streamed(con, filters, floor)
    con.execute("SELECT 1").fetchall()  # the streamed result is settled before registering
    hits = pa.table(
        {
            "a": pa.array(np.concatenate([f[0] for f in found] or [np.zeros(0, np.int32)])),
            "b": pa.array(np.concatenate([f[1] for f in found] or [np.zeros(0, np.int32)])),
            "similarity": pa.array(np.concatenate([f[2] for f in found] or [np.zeros(0, np.float64)])),
        }
    )
    con.register("_lk_hits_arrow", hits)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_HITS} AS SELECT * FROM _lk_hits_arrow")
    finally:
        con.unregister("_lk_hits_arrow")
    con.execute(similar_sql(out))
    for table in (_HITS, _KEPT, _REC):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    candidates = con.execute(f"SELECT count(*) FROM {qi(out)}").fetchall()[0][0]
    return Comparison(
        table=out,
        records=int(records),
        comparisons=compared,
        candidates=int(candidates),
        skipped_blocks=skipped,
        secret_groups=int(groups),
        seconds=time.perf_counter() - start,
    )
