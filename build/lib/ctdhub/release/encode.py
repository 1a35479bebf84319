"""Integer coding of standard records for the synthetic-data engine, with domains from the standard.

Each field's domain comes from the standard (codes, ISO3 country list, year range), never from the data,
plus one code for "missing" (unknown or not applicable). Encoding and decoding run in DuckDB and numpy,
not in Python loops over rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from ctdhub.geo import resolver
from ctdhub.sql import qi
from ctdhub.standard import Field, Standard

FIRST_YEAR = 1990


@dataclass(frozen=True)
class Domain:
    """Values of one field in code order; the last code means missing."""

    field: str
    values: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.values) + 1


def field_domain(f: Field, last_year: int | None = None) -> Domain:
    if f.type == "flag":
        return Domain(f.name, ("0", "1"))
    if f.type == "country":
        return Domain(f.name, tuple(sorted(resolver().codes)))
    if f.type == "integer":
        top = last_year or dt.date.today().year
        return Domain(f.name, tuple(str(y) for y in range(f.minimum or FIRST_YEAR, top + 1)))
    return Domain(f.name, tuple(f.codes))


def domains_for(std: Standard, fields: list[str]) -> dict[str, Domain]:
    return {name: field_domain(std.field(name)) for name in fields}


def encode(con: duckdb.DuckDBPyConnection, table: str, domains: dict[str, Domain]) -> dict[str, np.ndarray]:
    """Integer codes 0..size-1 per field (size-1 = missing) for every row of `table`."""
    out: dict[str, np.ndarray] = {}
    for name, d in domains.items():
        lookup = pa.table(
            {"v": pa.array(d.values, pa.string()), "c": pa.array(range(len(d.values)), pa.int32())}
        )
        con.register("_enc_lookup", lookup)
        col = con.execute(
            f"SELECT coalesce(l.c, {len(d.values)}) FROM (SELECT row_number() OVER () AS i, "
            f"CAST({qi(name)} AS VARCHAR) AS v FROM {qi(table)}) t LEFT JOIN _enc_lookup l ON l.v = t.v ORDER BY t.i"
        ).fetchnumpy()
        con.unregister("_enc_lookup")
        out[name] = np.asarray(next(iter(col.values())), dtype=np.int64)
    return out


def decode(codes: dict[str, np.ndarray], domains: dict[str, Domain], std: Standard) -> pa.Table:
    """An Arrow table of standard values (typed like the store) from integer codes."""
    arrays = {}
    for name, d in domains.items():
        values = np.array([*d.values, None], dtype=object)[codes[name]]
        f = std.field(name)
        if f.type == "flag":
            arrays[name] = pa.array(values, pa.string()).cast(pa.int8())
        elif f.type == "integer":
            arrays[name] = pa.array(values, pa.string()).cast(pa.int16())
        else:
            arrays[name] = pa.array(values, pa.string())
    return pa.table(arrays)
