"""Protected aggregate tables: counts by 0–3 dimensions with primary and secondary cell suppression.

Counting is done in DuckDB; the (small) cells are then protected together by
``ctdhub.release.suppression`` (see there for the relations modelled) and written back as tables
``<prefix>_<dims>`` with columns: the dimensions (VARCHAR), ``count`` (NULL when suppressed),
``suppressed`` (BOOLEAN) and ``reason`` ('primary' / 'secondary' / NULL). ``reason`` is for the data
officer: publish the dimensions and ``count`` only (an attacker who knows which cells are primary learns
that they are < threshold and the others >= threshold, which the audit does not assume).

Dimensions: the single-valued ones in ``SIMPLE_DIMS`` (missing → 'Unknown') and the flag families of
the standard as multi-valued dimensions: one category per flag (cases with that flag = 1; a case counts
once in each of its flags) plus ``(any information)``, the family's denominator. Absent cells are zero;
a cell with 1..threshold-1 cases is always listed, suppressed.

Rounding (optional, base b): a published count c becomes ``b * round(c / b)`` (half up), raised to the
next multiple of b when that falls below the threshold.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ctdhub.geo import resolver
from ctdhub.release.hierarchy import ensure_region_table
from ctdhub.release.suppression import CellTable, Key, Linkage, link, protect
from ctdhub.sql import qi, ql
from ctdhub.standard import Standard, load_standard
from ctdhub.standard.dimensions import ANY_INFO, GEO_DIMS, SIMPLE_DIMS, UNKNOWN, YEAR

SOURCE_TABLE = "_agg_source"


@dataclass(frozen=True)
class TableSpec:
    """One table to publish: its dimensions (at most one flag family) and optional name."""

    dims: tuple[str, ...]
    name: str | None = None

    def table_name(self, prefix: str) -> str:
        return self.name or f"{prefix}_{'_'.join(self.dims) if self.dims else 'total'}"


@dataclass(frozen=True)
class AggTable:
    """One protected table as written to DuckDB."""

    name: str
    dims: list[str]
    table: str
    cells: int
    primary: int
    secondary: int
    threshold: int = 10
    rounding: int | None = None
    suppression: str = ""


def default_specs(std: Standard | None = None) -> list[TableSpec]:
    """The total, every 1-way table, 2-way tables (year by everything, profiles by place) and 3-way tables
    (year by gender and type, country by year and gender / age band / type on both sides, region by year
    and gender / age band / type / the other side's region)."""
    std = std or load_standard()
    fams = [f.name for f in std.families]
    one = [(d,) for d in (*SIMPLE_DIMS, *fams)]
    two = [(YEAR, d) for d in (*SIMPLE_DIMS[1:], *fams)]
    two += [
        ("gender", "ageBroad"),
        ("gender", "majorityStatus"),
        ("citizenship", "CountryOfExploitation"),
        ("citizenship_region", "exploitation_region"),
        ("citizenship_subregion", "exploitation_subregion"),
        ("gender", "typeOfExploit"),
        ("ageBroad", "typeOfExploit"),
        ("majorityStatus", "typeOfExploit"),
        ("exploitation_region", "typeOfExploit"),
        ("gender", "meansOfControl"),
        ("gender", "typeOfLabour"),
        ("gender", "typeOfSex"),
        ("gender", "recruiterRelation"),
    ]
    # where victims were identified and where they came from, with their profile (country and region pages)
    for place in ("CountryOfExploitation", "citizenship"):
        two += [(place, d) for d in ("gender", "ageBroad", "majorityStatus", "typeOfExploit")]
    for region in ("exploitation_region", "citizenship_region"):
        two += [
            (region, d) for d in ("gender", "ageBroad", "majorityStatus", *fams) if (region, d) not in two
        ]
    three = [
        (YEAR, "gender", "typeOfExploit"),
        (YEAR, "exploitation_region", "typeOfExploit"),
        ("gender", "ageBroad", "typeOfExploit"),
    ]
    # country profiles over time, on both sides (country pages, briefings)
    for place in ("CountryOfExploitation", "citizenship"):
        three += [(place, YEAR, d) for d in ("gender", "ageBroad", "typeOfExploit")]
    # regional overviews over time (region pages, regional briefings: who, from where, to where)
    three += [(YEAR, "citizenship_region", "exploitation_region")]
    for region in ("exploitation_region", "citizenship_region"):
        three += [(YEAR, region, d) for d in ("gender", "ageBroad") if (YEAR, region, d) not in three]
    three += [(YEAR, "citizenship_region", "typeOfExploit")]
    return [TableSpec(()), *(TableSpec(d) for d in itertools.chain(one, two, three))]


def _dim_sql(std: Standard) -> dict[str, str]:
    out = {
        YEAR: f"coalesce(CAST(s.{qi(YEAR)} AS VARCHAR), {ql(UNKNOWN)})",
        "contributor": f"coalesce(s.contributor, {ql(UNKNOWN)})",
    }
    for d in SIMPLE_DIMS:
        if d in GEO_DIMS:
            fine, col = GEO_DIMS[d]
            out[d] = f"coalesce(g_{fine}.{col}, {ql(UNKNOWN)})"
        elif d not in out:
            out[d] = f"coalesce(s.{qi(d)}, {ql(UNKNOWN)})"
    for fam in std.families:
        cats = [f"CASE WHEN s.{qi(m)} = 1 THEN {ql(m)} END" for m in fam.members]
        cats.append(f"CASE WHEN {fam.has_info_sql('s')} THEN {ql(ANY_INFO)} END")
        out[fam.name] = f"list_filter([{', '.join(cats)}], lambda x: x IS NOT NULL)"
    return out


def prepare_dims(
    con: duckdb.DuckDBPyConnection,
    source: str,
    target: str,
    dims: set[str],
    std: Standard | None = None,
    *,
    temporary: bool = True,
) -> None:
    """Table ``target``: one row per record of ``source`` with every dimension in ``dims`` as the tables
    count it (missing → 'Unknown', regions from the country lookup, a flag family as the list of its
    categories the record has, plus '(any information)')."""
    std = std or load_standard()
    regions = ensure_region_table(con)
    exprs = _dim_sql(std)
    select = ", ".join(f"{exprs[d]} AS {qi(d)}" for d in sorted(dims)) or "1 AS _one"
    joins = " ".join(
        f"LEFT JOIN {regions} AS g_{fine} ON g_{fine}.iso3 = s.{qi(fine)}"
        for fine in ("citizenship", "CountryOfExploitation")
    )
    kind = "TEMP TABLE" if temporary else "TABLE"
    con.execute(f"CREATE OR REPLACE {kind} {qi(target)} AS SELECT {select} FROM {source} AS s {joins}")


def _prepare(con: duckdb.DuckDBPyConnection, source: str, std: Standard, dims: set[str]) -> None:
    prepare_dims(con, source, SOURCE_TABLE, dims, std)


def _count(con: duckdb.DuckDBPyConnection, spec: TableSpec, families: set[str]) -> dict[Key, int]:
    cols = [qi(d) for d in spec.dims]
    inner = ", ".join(
        f"unnest({c}) AS {c}" if d in families else c for d, c in zip(spec.dims, cols, strict=True)
    )
    sel = ", ".join([*cols, "count(*)"])
    group = f"GROUP BY {', '.join(cols)}" if cols else ""
    src = f"(SELECT {inner} FROM {SOURCE_TABLE})" if cols else SOURCE_TABLE
    rows = con.execute(f"SELECT {sel} FROM {src} {group} HAVING count(*) > 0").fetchall()
    return {tuple(str(v) for v in r[:-1]): int(r[-1]) for r in rows}


def linkage(std: Standard) -> Linkage:
    """Flag families and the geographic coarsening maps, as the suppression model needs them."""
    families = {fam.name: (frozenset(fam.substantive), ANY_INFO) for fam in std.families}
    rows = resolver().region_rows()
    coarsen: dict[tuple[str, str], dict[str, str]] = {}
    for coarse, (fine, col) in GEO_DIMS.items():
        m = {r["iso3"]: r[col] or UNKNOWN for r in rows}
        m[UNKNOWN] = UNKNOWN
        coarsen[(coarse, fine)] = m
    for side in ("citizenship", "exploitation"):
        sub_to_reg: dict[str, str] = {UNKNOWN: UNKNOWN}
        for r in rows:
            sub_to_reg[r["un_subregion"] or UNKNOWN] = r["un_region"] or UNKNOWN
        coarsen[(f"{side}_region", f"{side}_subregion")] = sub_to_reg
    return Linkage(families=families, coarsen=coarsen)


def count_cells(
    con: duckdb.DuckDBPyConnection, source: str, specs: Sequence[TableSpec], std: Standard | None = None
) -> list[dict[Key, int]]:
    """The non-zero cells of every table of ``specs``, counted from the records in ``source``.

    The one implementation of "dimensions → SQL" (regions through the country lookup, flag families as
    multi-valued dimensions): release tables, briefings and the exact staff figures all count with it.
    """
    std = std or load_standard()
    families = {f.name for f in std.families}
    known = set(SIMPLE_DIMS) | families
    for spec in specs:
        bad = [d for d in spec.dims if d not in known]
        if bad or sum(d in families for d in spec.dims) > 1 or len(set(spec.dims)) != len(spec.dims):
            raise ValueError(f"table {spec.dims}: unknown dimension {bad} or more than one flag family")
    _prepare(con, source, std, {d for s in specs for d in s.dims})
    try:
        return [_count(con, s, families) for s in specs]
    finally:
        con.execute(f"DROP TABLE IF EXISTS {SOURCE_TABLE}")


def _rounded(c: int, base: int | None, threshold: int) -> int:
    if not base or base <= 1:
        return c
    r = base * ((2 * c + base) // (2 * base))
    return r if r >= threshold else base * -(-c // base)


def _write(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: TableSpec,
    cells: dict[Key, int],
    ids: dict[Key, int],
    reason: list[str | None],
    rounding: int | None,
    threshold: int,
) -> None:
    keys = sorted(cells)
    data: dict[str, pa.Array] = {
        d: pa.array([k[i] for k in keys], pa.string()) for i, d in enumerate(spec.dims)
    }
    data["count"] = pa.array(
        [None if reason[ids[k]] else _rounded(cells[k], rounding, threshold) for k in keys], pa.int64()
    )
    data["suppressed"] = pa.array([reason[ids[k]] is not None for k in keys], pa.bool_())
    data["reason"] = pa.array([reason[ids[k]] for k in keys], pa.string())
    arrow = pa.table(data)  # noqa: F841 - read by DuckDB's replacement scan
    order = ", ".join(qi(d) for d in spec.dims) or "1"
    con.execute(f"CREATE OR REPLACE TABLE {qi(name)} AS SELECT * FROM arrow ORDER BY {order}")


def build_aggregates(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    threshold: int = 10,
    specs: Sequence[TableSpec] | None = None,
    rounding: int | None = None,
    std: Standard | None = None,
    prefix: str = "agg",
) -> list[AggTable]:
    """Count, protect and write the tables of ``specs`` (default: ``default_specs()``) from ``source``."""
    std = std or load_standard()
    specs = list(default_specs(std) if specs is None else specs)
    counted = count_cells(con, source, specs, std)
    tables = [CellTable(s.table_name(prefix), s.dims, c) for s, c in zip(specs, counted, strict=True)]
    rel = link(tables, linkage(std))
    reason = protect(rel, threshold)
    note = (
        f"primary: 0 < count < {threshold}; secondary: margins, hierarchies and flag-family bounds "
        f"across all {len(tables)} linked tables (LP-checked)"
        + (f"; published counts rounded to base {rounding}" if rounding else "")
    )
    out: list[AggTable] = []
    for spec, t, ids in zip(specs, tables, rel.ids, strict=True):
        _write(con, t.name, spec, t.cells, ids, reason, rounding, threshold)
        reasons = [reason[i] for i in ids.values()]
        out.append(
            AggTable(
                name=t.name,
                dims=list(spec.dims),
                table=t.name,
                cells=len(ids),
                primary=reasons.count("primary"),
                secondary=reasons.count("secondary"),
                threshold=threshold,
                rounding=rounding,
                suppression=note,
            )
        )
    return out
