"""Generalisation hierarchies of the quasi-identifiers, as SQL expressions per level.

Every quasi-identifier (QI) has levels 0..height. Level 0 is the stored value, the last level is
*withheld* (the whole column is NULL in the release; the result records the level, so NULL there means
"withheld", not "unknown"). In between:

- age (``ageBroad``): age band → ``ageBand3`` (0--17 / 18--29 / 30+) → ``majority`` (Minor / Adult),
  maps read from the standard's ``hierarchies.age``;
- country (``citizenship``, ``CountryOfExploitation``): ISO3 → UN sub-region → UN region (M49, from
  ``ctdhub.geo``); a code without a region becomes ``Other``;
- year (``yearOfRegistration``): year → five-year period ``2015--2019`` → ten-year period ``2010--2019``;
- any other QI: value → withheld.

Unknown (NULL) stays NULL at every level, so unknown forms its own equivalence class. ``majorityStatus``
is made consistent with the age band at level 0: when the age band is known it decides Minor/Adult.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from ctdhub.geo import resolver
from ctdhub.sql import qi, ql
from ctdhub.standard import Standard

WITHHELD = "withheld"
REGION_TABLE = "_ctdhub_release_regions"
AGE_FIELD = "ageBroad"
MAJORITY_FIELD = "majorityStatus"


@dataclass(frozen=True)
class Hierarchy:
    """The generalisation levels of one QI; ``exprs[level]`` is SQL over source alias ``s``."""

    field: str
    kind: str  # 'age' | 'country' | 'year' | 'flat'
    level_names: tuple[str, ...]
    exprs: tuple[str, ...]

    @property
    def height(self) -> int:
        return len(self.level_names) - 1

    @property
    def needs_geo(self) -> bool:
        return self.kind == "country"

    def geo_alias(self) -> str:
        return f"geo_{self.field}"


def _case_map(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {ql(k)} THEN {ql(v)}" for k, v in mapping.items())
    return f"(CASE {expr} {whens} ELSE NULL END)"


def age_maps(std: Standard) -> tuple[dict[str, str], dict[str, str]]:
    """(age band → ageBand3, age band → Minor/Adult) from the standard's ``hierarchies.age``."""
    levels: list[dict[str, Any]] = std.hierarchies["age"]["levels"]
    band3: dict[str, str] = dict(levels[1]["map"])
    majority_of_band3: dict[str, str] = dict(levels[2]["map"])
    return band3, {band: majority_of_band3[b3] for band, b3 in band3.items()}


def majority_expr(std: Standard, alias: str = "s") -> str:
    """majorityStatus made consistent with the age band (age band decides when known)."""
    col = f"{alias}.{qi(MAJORITY_FIELD)}"
    if not std.has_field(AGE_FIELD):
        return col
    _, majority = age_maps(std)
    return f"coalesce({_case_map(f'{alias}.{qi(AGE_FIELD)}', majority)}, {col})"


def _year_period(col: str, width: int) -> str:
    start = f"(({col} // {width}) * {width})"
    return f"(CASE WHEN {col} IS NULL THEN NULL ELSE CAST({start} AS VARCHAR) || '--' || CAST({start} + {width - 1} AS VARCHAR) END)"


def hierarchy_for(std: Standard, field: str, alias: str = "s") -> Hierarchy:
    """The hierarchy of one QI of the standard."""
    f = std.field(field)
    col = f"{alias}.{qi(field)}"
    null = "CAST(NULL AS VARCHAR)"
    if f.hierarchy == "age":
        band3, majority = age_maps(std)
        return Hierarchy(
            field,
            "age",
            ("ageBroad", "ageBand3", "majority", WITHHELD),
            (col, _case_map(col, band3), _case_map(col, majority), null),
        )
    if f.hierarchy == "country":
        g = f"geo_{field}"
        return Hierarchy(
            field,
            "country",
            ("country", "UN sub-region", "UN region", WITHHELD),
            (
                col,
                f"(CASE WHEN {col} IS NULL THEN NULL ELSE coalesce({g}.un_subregion, {g}.un_region, 'Other') END)",
                f"(CASE WHEN {col} IS NULL THEN NULL ELSE coalesce({g}.un_region, 'Other') END)",
                null,
            ),
        )
    if f.hierarchy == "year":
        return Hierarchy(
            field,
            "year",
            ("year", "period5", "period10", WITHHELD),
            (col, _year_period(col, 5), _year_period(col, 10), null),
        )
    base = majority_expr(std, alias) if field == MAJORITY_FIELD else col
    return Hierarchy(field, "flat", ("value", WITHHELD), (base, null))


def ensure_region_table(con: duckdb.DuckDBPyConnection) -> str:
    """Create (once per connection) a temp lookup table iso3 → UN sub-region / region / IOM region."""
    rows = resolver().region_rows()
    values = ", ".join(
        f"({ql(r['iso3'])}, {ql(r['un_subregion'])}, {ql(r['un_region'])}, {ql(r['iom_region'])})"
        for r in rows
    )
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {REGION_TABLE} AS SELECT * FROM (VALUES {values}) "
        "AS t(iso3, un_subregion, un_region, iom_region)"
    )
    return REGION_TABLE


def geo_joins(hierarchies: list[Hierarchy], alias: str = "s") -> str:
    """LEFT JOINs of the region table needed by the country hierarchies."""
    return " ".join(
        f"LEFT JOIN {REGION_TABLE} AS {h.geo_alias()} ON {h.geo_alias()}.iso3 = {alias}.{qi(h.field)}"
        for h in hierarchies
        if h.needs_geo
    )
