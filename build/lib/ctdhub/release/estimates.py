"""Public tables: tabulations of the release's model, each cell with its 90 % interval.

Every table is counted from the model's records (``aggregates.count_cells``, the same counting as
everywhere), so every table agrees with every other: cells add up to margins, countries to sub-regions
to regions, years to totals, and the synthetic file gives the same counts. A cell not listed is an
estimate of 0. Intervals come from the measurements' GLS variances (``dp.intervals``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ctdhub.release.aggregates import TableSpec, count_cells
from ctdhub.release.dp.intervals import IntervalModel
from ctdhub.release.suppression import Key
from ctdhub.sql import qi
from ctdhub.standard import Standard

COLUMNS = ("estimate", "lower", "upper")


@dataclass(frozen=True)
class EstimateTable:
    """One public table: estimates by category (absent = 0) and how precise a cell is."""

    name: str
    dims: tuple[str, ...]
    cells: dict[Key, int]
    sd: float  # standard deviation of one cell (GLS)
    measured: bool  # False when some of its detail rests on the model rather than on a measurement


def tabulate(
    con: duckdb.DuckDBPyConnection,
    source: str,
    specs: Sequence[TableSpec],
    intervals: IntervalModel,
    std: Standard,
    prefix: str = "agg",
) -> list[EstimateTable]:
    """Count every table of ``specs`` from the model records in ``source``."""
    out = []
    for spec, cells in zip(specs, count_cells(con, source, specs, std), strict=True):
        probe = intervals.interval(0.0, {d: [_probe_value(intervals, d)] for d in spec.dims})
        out.append(EstimateTable(spec.table_name(prefix), spec.dims, cells, probe.sd, probe.measured))
    return out


def _probe_value(intervals: IntervalModel, dim: str) -> str:
    """Any single (unmerged) value of ``dim``, to compute a table's per-cell precision once."""
    if dim in intervals.families:
        return intervals.families[dim][0]
    merged = {v for members in intervals.groups.get(dim, {}).values() for v in members}
    return next(v for v in intervals.codes[dim] if v not in merged)


def write_table(con: duckdb.DuckDBPyConnection, t: EstimateTable, intervals: IntervalModel) -> str:
    """Write the table into ``con`` (dimensions, estimate, lower, upper); returns its name."""
    keys = sorted(t.cells)
    data: dict[str, pa.Array] = {d: pa.array([k[i] for k in keys], pa.string()) for i, d in enumerate(t.dims)}
    lows, highs = [], []
    for k in keys:
        iv = intervals.interval(t.cells[k], {d: [k[i]] for i, d in enumerate(t.dims)})
        lows.append(iv.lower)
        highs.append(iv.upper)
    data["estimate"] = pa.array([t.cells[k] for k in keys], pa.int64())
    data["lower"] = pa.array(lows, pa.int64())
    data["upper"] = pa.array(highs, pa.int64())
    arrow = pa.table(data)  # noqa: F841 - read by DuckDB's replacement scan
    order = ", ".join(qi(d) for d in t.dims) or "1"
    con.execute(f"CREATE OR REPLACE TABLE {qi(t.name)} AS SELECT * FROM arrow ORDER BY {order}")
    return t.name
