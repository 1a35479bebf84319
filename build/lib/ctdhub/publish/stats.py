"""The one data function behind the API, the dashboard, the charts and the briefings: `stats(view, dims,
filters)`.

It answers "estimated counts by these dimensions, for these filters" — any combination — from the
release's differentially private model, through the gate: from the smallest published table that covers
the dimensions and filters (summing its cells), or else by counting the model's records. Both give the
same numbers, since every table is a tabulation of those records; so every answer agrees with every
other, and none can reveal more than the model (post-processing spends no privacy). Each cell carries its
90 % interval (``IntervalModel``) and whether it is below the display threshold ("fewer than N" is
presentation; the estimate itself is safe to publish).

Flag families are multi-valued (a case counts once in each of its flags), so their categories are never
summed: a table with an extra family dimension is never used, and a filter naming several categories of
a family keeps that family as a dimension of the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ctdhub.errors import CtdhubError
from ctdhub.publish.gate import ReleaseView
from ctdhub.publish.tables import AggTableInfo, ReleaseTables, Row, release_tables
from ctdhub.release.dp.intervals import IntervalModel
from ctdhub.sql import qi
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN, YEAR

CAVEAT = (
    "Counts are identified cases recorded by the contributing organisations, not prevalence: they show "
    "who was identified and recorded, not how many people are trafficked. Every count is a differentially "
    "private estimate with a 90 % interval; estimates below the display threshold read 'fewer than' it."
)

_LEADING_INT = re.compile(r"\d+")

# filter parameter -> dimension it constrains (the year range constrains yearOfRegistration)
FILTER_DIMS: dict[str, str] = {
    "citizenship": "citizenship",
    "citizenship_region": "citizenship_region",
    "citizenship_subregion": "citizenship_subregion",
    "exploitation_country": "CountryOfExploitation",
    "exploitation_region": "exploitation_region",
    "exploitation_subregion": "exploitation_subregion",
    "gender": "gender",
    "ageBroad": "ageBroad",
    "typeOfExploit": "typeOfExploit",
    "Datasource": "Datasource",
}


class StatsError(CtdhubError):
    """A request the published tables cannot answer, or a bad dimension / filter value (HTTP 400)."""

    def __init__(self, message: str, *, hint: str | None = None, allowed: list[Any] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.allowed = allowed

    def to_dict(self) -> dict[str, object]:
        out = super().to_dict()
        if self.allowed is not None:
            out["allowed"] = self.allowed
        return out


@dataclass(frozen=True)
class Filters:
    """Restrictions on the cases counted. Empty tuples and None mean "no restriction"."""

    year_from: int | None = None
    year_to: int | None = None
    citizenship: tuple[str, ...] = ()
    citizenship_region: tuple[str, ...] = ()
    citizenship_subregion: tuple[str, ...] = ()
    exploitation_country: tuple[str, ...] = ()
    exploitation_region: tuple[str, ...] = ()
    exploitation_subregion: tuple[str, ...] = ()
    gender: tuple[str, ...] = ()
    ageBroad: tuple[str, ...] = ()
    typeOfExploit: tuple[str, ...] = ()
    Datasource: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Filters:
        """From query-style values: lists or comma-separated strings; years as int or text."""
        known = {f.name for f in fields(cls)}
        bad = sorted(set(values) - known)
        if bad:
            raise StatsError(f"Unknown filter {', '.join(bad)}.", allowed=sorted(known))
        kw: dict[str, Any] = {}
        for name, raw in values.items():
            if raw is None or raw == "" or raw == []:
                continue
            if name in ("year_from", "year_to"):
                try:
                    kw[name] = int(str(raw).strip())
                except ValueError:
                    raise StatsError(f"{name} must be a year (a whole number), not {raw!r}.") from None
            else:
                kw[name] = split_values(raw)
        return cls(**kw)

    def constrained(self) -> dict[str, tuple[str, ...]]:
        """Dimension -> allowed values, for the set filters (the year range excluded)."""
        return {FILTER_DIMS[k]: v for k, v in asdict(self).items() if k in FILTER_DIMS and v}

    def has_years(self) -> bool:
        return self.year_from is not None or self.year_to is not None

    def echo(self) -> dict[str, Any]:
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in asdict(self).items()
            if v not in (None, ())
        }


def split_values(raw: Any) -> tuple[str, ...]:
    """'a,b' or ['a', 'b,c'] -> ('a', 'b', 'c'), blanks dropped, order kept, duplicates removed."""
    items = [raw] if isinstance(raw, str) else list(raw)
    parts = (p.strip() for item in items for p in str(item).split(","))
    return tuple(dict.fromkeys(p for p in parts if p))


@dataclass
class StatsResult:
    """Estimates by `dims` over the filtered cases, with what a reader needs to interpret them."""

    release: str
    dims: list[str]
    filters: dict[str, Any]
    cells: list[dict[str, Any]]
    threshold: int
    table: str  # the published table the answer was summed from, or "model"
    summed_over: list[str]
    denominators: dict[str, list[dict[str, Any]]]
    contributors: list[str]
    years: list[int] | None  # first and last year of the release
    interval_level: float = 0.9
    caveat: str = CAVEAT
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (fresh containers; cheap, unlike a deep `asdict`)."""
        return {
            "release": self.release,
            "dims": list(self.dims),
            "filters": dict(self.filters),
            "cells": [dict(c) for c in self.cells],
            "threshold": self.threshold,
            "interval_level": self.interval_level,
            "table": self.table,
            "summed_over": list(self.summed_over),
            "denominators": {k: [dict(c) for c in v] for k, v in self.denominators.items()},
            "contributors": list(self.contributors),
            "years": self.years,
            "caveat": self.caveat,
            "notes": list(self.notes),
        }

    def total(self) -> int:
        """Sum of the estimates of the cells (for a result without family dimension)."""
        return sum(int(c["estimate"]) for c in self.cells)


def stats(view: ReleaseView, dims: Iterable[str], filters: Filters | None = None) -> StatsResult:
    """Estimates by `dims` for `filters` (see the module docstring)."""
    filters = filters or Filters()
    tabs = release_tables(view)
    dims = list(dims)
    key = (tuple(dims), filters)
    hit = tabs.cached(key)
    if isinstance(hit, StatsResult):
        return hit
    result = _compute(view, tabs, dims, filters)
    tabs.remember(key, result)
    return result


def _compute(view: ReleaseView, tabs: ReleaseTables, dims: list[str], filters: Filters) -> StatsResult:
    _check_dims(tabs, dims)
    canonical = {d: _canonical(tabs, d, vals) for d, vals in filters.constrained().items()}
    allowed = {d: frozenset(vals) for d, vals in canonical.items()}
    by_dim = {d: k for k, d in FILTER_DIMS.items()}
    changes: dict[str, Any] = {by_dim[d]: vals for d, vals in canonical.items()}
    filters = replace(filters, **changes)
    notes: list[str] = []
    if filters.year_from is not None and filters.year_to is not None and filters.year_from > filters.year_to:
        raise StatsError(f"year_from ({filters.year_from}) is after year_to ({filters.year_to}).")
    out_dims = list(dims)
    for d, vals in allowed.items():
        if d in tabs.families and d not in out_dims and len(vals) > 1:
            out_dims.append(d)
            notes.append(
                f"{d} is kept as a dimension: a case can have several {d} categories, so they are never summed."
            )
    if sum(d in tabs.families for d in out_dims) > 1:
        raise StatsError(
            "At most one multi-valued dimension (a flag family such as typeOfExploit) can be broken down at a "
            "time; filter the other to one category."
        )
    need = set(out_dims) | set(allowed) | ({YEAR} if filters.has_years() else set())
    table = _choose_table(tabs, need)
    # a denominator ("any information") for every family broken down or filtered on
    fams = [d for d in out_dims if d in tabs.families] + [
        d for d in allowed if d in tabs.families and d not in out_dims
    ]
    if table is not None:
        rows = [r for r in tabs.rows(table.name) if _keep(r, table.dims, allowed, filters, relax=None)]
        cells = _group(rows, table.dims, out_dims)
        source, summed = table.name, [d for d in table.dims if d not in out_dims and d not in tabs.families]
        den_cells = {
            fam: _group(
                [
                    r
                    for r in tabs.rows(table.name)
                    if r.key[table.dims.index(fam)] == ANY_INFO
                    and _keep(r, table.dims, allowed, filters, relax=fam)
                ],
                table.dims,
                [d for d in out_dims if d != fam],
            )
            for fam in fams
        }
    else:
        cells = _query(tabs, out_dims, allowed, filters, relax=None)
        source, summed = "model", []
        den_cells = {
            fam: [
                {k: v for k, v in c.items() if k != fam}
                for c in _query(tabs, out_dims, {**allowed, fam: frozenset({ANY_INFO})}, filters, relax=None)
            ]
            for fam in fams
        }
    intervals = view.intervals()
    fixed = _fixed_selection(allowed, filters, out_dims, intervals)
    _with_intervals(cells, out_dims, fixed, intervals, view.threshold)
    for fam, dcells in den_cells.items():
        _with_intervals(
            dcells, [d for d in out_dims if d != fam], {**fixed, fam: [ANY_INFO]}, intervals, view.threshold
        )
    manifest = view.manifest
    return StatsResult(
        release=view.release_id,
        dims=out_dims,
        filters=filters.echo(),
        cells=cells,
        threshold=view.threshold,
        table=source,
        summed_over=summed,
        denominators=den_cells,
        contributors=list(manifest.contributors),
        years=list(manifest.years) if manifest.years is not None else None,
        interval_level=intervals.level,
        notes=notes,
    )


def _fixed_selection(
    allowed: dict[str, frozenset[str]],
    filters: Filters,
    out_dims: list[str],
    intervals: IntervalModel,
) -> dict[str, list[str]]:
    """What every cell of the answer selects besides its own dimension values (the filters)."""
    fixed: dict[str, list[str]] = {d: sorted(v) for d, v in allowed.items() if d not in out_dims}
    if filters.has_years() and YEAR not in out_dims:
        fixed[YEAR] = [y for y in intervals.codes.get(YEAR, {}) if _year_ok(y, filters)]
    return fixed


def _with_intervals(
    cells: list[dict[str, Any]],
    dims: list[str],
    fixed: dict[str, list[str]],
    intervals: IntervalModel,
    threshold: int,
) -> None:
    for c in cells:
        sel = {**fixed, **{d: [c[d]] for d in dims}}
        iv = intervals.interval(float(c["estimate"]), sel)
        c["lower"] = iv.lower
        c["upper"] = iv.upper
        c["below_threshold"] = c["estimate"] < threshold
        if not iv.measured:
            c["modelled"] = True
        if iv.approximate:
            c["approximate"] = True


def _check_dims(tabs: ReleaseTables, dims: list[str]) -> None:
    bad = [d for d in dims if d not in tabs.dims]
    if bad:
        raise StatsError(f"Unknown dimension {', '.join(bad)}.", allowed=list(tabs.dims))
    if len(set(dims)) != len(dims):
        raise StatsError("A dimension is named twice.")


def _canonical(tabs: ReleaseTables, dim: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """Filter values as the tables spell them (case-insensitive match), else a StatsError."""
    vocab = tabs.values(dim)
    folded = {v.casefold(): v for v in vocab}
    out: list[str] = []
    bad: list[str] = []
    for v in values:
        if v in vocab:
            out.append(v)
        elif v.casefold() in folded:
            out.append(folded[v.casefold()])
        else:
            bad.append(v)
    if bad:
        param = next((k for k, d in FILTER_DIMS.items() if d == dim), dim)
        raise StatsError(
            f"Unknown value {', '.join(repr(b) for b in bad)} for {param}.", allowed=sorted(vocab)
        )
    return tuple(dict.fromkeys(out))


def _choose_table(tabs: ReleaseTables, need: set[str]) -> AggTableInfo | None:
    """The smallest published table covering `need` whose other dimensions may be summed over."""
    fams_needed = need & tabs.families
    candidates = [
        t
        for t in tabs.tables
        if need <= set(t.dims) and not (set(t.dims) - need) & tabs.families and len(fams_needed) <= 1
    ]
    return min(candidates, key=lambda t: (len(t.dims), t.name)) if candidates else None


def _year_ok(value: str, filters: Filters) -> bool:
    if not filters.has_years():
        return True
    try:
        y = int(value)
    except ValueError:
        return False  # 'Unknown' is outside every range
    lo = filters.year_from if filters.year_from is not None else y
    hi = filters.year_to if filters.year_to is not None else y
    return lo <= y <= hi


def _keep(
    row: Row, tdims: tuple[str, ...], allowed: dict[str, frozenset[str]], filters: Filters, relax: str | None
) -> bool:
    for i, d in enumerate(tdims):
        v = row.key[i]
        if d == YEAR and not _year_ok(v, filters):
            return False
        if d in allowed and d != relax and v not in allowed[d]:
            return False
    return True


def _group(rows: list[Row], tdims: tuple[str, ...], out_dims: list[str]) -> list[dict[str, Any]]:
    """Sum rows into cells over `out_dims`."""
    idx = [tdims.index(d) for d in out_dims]
    acc: dict[tuple[str, ...], int] = {}
    for r in rows:
        k = tuple(r.key[i] for i in idx)
        acc[k] = acc.get(k, 0) + r.estimate
    if not out_dims and not acc:
        acc[()] = 0  # no record of the model matches: an estimate of zero
    return [
        {**dict(zip(out_dims, k, strict=True)), "estimate": n}
        for k, n in sorted(acc.items(), key=lambda kv: _sort_key(kv[0]))
    ]


def _query(
    tabs: ReleaseTables,
    out_dims: list[str],
    allowed: dict[str, frozenset[str]],
    filters: Filters,
    relax: str | None,
) -> list[dict[str, Any]]:
    """Count the model's records (the same numbers a covering table would give)."""
    con = tabs.model().cursor()
    unnest = [d for d in out_dims if d in tabs.families]
    inner = (
        ", ".join(
            [f"unnest({qi(d)}) AS {qi(d)}" if d in unnest else qi(d) for d in out_dims]
            + [qi(d) for d in allowed if d not in out_dims]
            + ([qi(YEAR)] if filters.has_years() and YEAR not in out_dims else [])
        )
        or "1 AS _one"
    )
    conds: list[str] = []
    params: list[Any] = []
    for d, vals in allowed.items():
        if d == relax:
            continue
        if d in tabs.families and d not in unnest:
            conds.append("(" + " OR ".join(f"list_contains({qi(d)}, ?)" for _ in vals) + ")")
        else:
            conds.append(f"{qi(d)} IN ({', '.join('?' for _ in vals)})")
        params += sorted(vals)
    if filters.has_years():
        lo = filters.year_from if filters.year_from is not None else -(10**6)
        hi = filters.year_to if filters.year_to is not None else 10**6
        conds.append(f"TRY_CAST({qi(YEAR)} AS INTEGER) BETWEEN {int(lo)} AND {int(hi)}")
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    cols = ", ".join(qi(d) for d in out_dims)
    group = f"GROUP BY {cols}" if out_dims else ""
    sql = f"SELECT {cols + ', ' if cols else ''}count(*) FROM (SELECT {inner} FROM src) {where} {group}"
    rows = con.execute(sql, params).fetchall()
    acc = {tuple(str(v) for v in r[:-1]): int(r[-1]) for r in rows}
    if not out_dims and not acc:
        acc[()] = 0
    return [
        {**dict(zip(out_dims, k, strict=True)), "estimate": n}
        for k, n in sorted(acc.items(), key=lambda kv: _sort_key(kv[0]))
    ]


def _sort_key(key: tuple[str, ...]) -> tuple[tuple[int, int, str], ...]:
    def one(v: str) -> tuple[int, int, str]:
        if v == UNKNOWN:
            return (2, 0, v)
        if v == ANY_INFO:
            return (3, 0, v)
        m = _LEADING_INT.match(v)
        return (0, int(m.group()), v) if m else (1, 0, v)

    return tuple(one(v) for v in key)
