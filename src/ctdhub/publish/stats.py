"""The one data function behind the API, the dashboard and the charts: `stats(view, dims, filters)`.

It answers "counts by these dimensions, for these filters" from the release's published aggregate tables
only. It picks the smallest published table whose dimensions cover the requested and the filtered ones,
keeps the rows the filters allow and sums over the dimensions not asked for. A result cell is suppressed
when any cell it sums is suppressed, so every published figure is a sum of published figures: nothing new
can be learnt from it. Flag families are multi-valued (a case counts once in each of its flags), so their
categories are only ever selected, never summed: a table with an extra family dimension is never used,
and a filter naming several categories of a family keeps that family as a dimension of the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ctdhub.errors import CtdhubError
from ctdhub.publish.gate import DisclosureError, ReleaseView
from ctdhub.publish.tables import AggTableInfo, ReleaseTables, Row, release_tables
from ctdhub.release.aggregates import ANY_INFO, UNKNOWN, YEAR

CAVEAT = (
    "Counts are identified cases recorded by the contributing organisations, not prevalence: they show "
    "who was identified and recorded, not how many people are trafficked. Counts below the release "
    "threshold are suppressed (null), and so is any sum that includes a suppressed count."
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
    """Counts by `dims` over the filtered cases, with what a reader needs to interpret them."""

    release: str
    dims: list[str]
    filters: dict[str, Any]
    cells: list[dict[str, Any]]
    threshold: int
    table: str
    summed_over: list[str]
    denominators: dict[str, list[dict[str, Any]]]
    contributors: list[Any]
    years: Any
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
            "table": self.table,
            "summed_over": list(self.summed_over),
            "denominators": {k: [dict(c) for c in v] for k, v in self.denominators.items()},
            "contributors": list(self.contributors),
            "years": self.years,
            "caveat": self.caveat,
            "notes": list(self.notes),
        }


def stats(view: ReleaseView, dims: Iterable[str], filters: Filters | None = None) -> StatsResult:
    """Counts by `dims` for `filters`, computed from published cells only (see the module docstring)."""
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
    need = set(out_dims) | set(allowed) | ({YEAR} if filters.has_years() else set())
    table = _choose_table(tabs, need, dims)
    rows = [r for r in tabs.rows(table.name) if _keep(r, table.dims, allowed, filters, relax=None)]
    cells = _group(rows, table.dims, out_dims)
    denominators: dict[str, list[dict[str, Any]]] = {}
    for fam in [d for d in table.dims if d in tabs.families and d in need]:
        den_rows = [
            r
            for r in tabs.rows(table.name)
            if r.key[table.dims.index(fam)] == ANY_INFO and _keep(r, table.dims, allowed, filters, relax=fam)
        ]
        denominators[fam] = _group(den_rows, table.dims, [d for d in out_dims if d != fam])
    _assert_safe(view, [*cells, *(c for cs in denominators.values() for c in cs)])
    manifest = view.public_manifest()
    return StatsResult(
        release=view.release_id,
        dims=out_dims,
        filters=filters.echo(),
        cells=cells,
        threshold=view.threshold,
        table=table.name,
        summed_over=[d for d in table.dims if d not in out_dims and d not in tabs.families],
        denominators=denominators,
        contributors=list(manifest.get("contributors") or []),
        years=manifest.get("years"),
        notes=notes,
    )


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


def _choose_table(tabs: ReleaseTables, need: set[str], dims: list[str]) -> AggTableInfo:
    """The smallest published table covering `need` whose other dimensions may be summed over."""
    fams_needed = need & tabs.families
    candidates = [
        t
        for t in tabs.tables
        if need <= set(t.dims) and not (set(t.dims) - need) & tabs.families and len(fams_needed) <= 1
    ]
    if candidates:
        return min(candidates, key=lambda t: (len(t.dims), t.name))
    asked = ", ".join(sorted(need)) or "nothing"
    usable = [list(t.dims) for t in tabs.tables if set(dims) <= set(t.dims)] or [
        list(t.dims) for t in tabs.tables
    ]
    raise StatsError(
        f"Release {tabs.view.release_id} publishes no table covering {asked} (dimensions and filtered "
        "fields together). Choose dimensions and filters within one published combination.",
        hint="GET /api/v1/tables lists them.",
        allowed=usable,
    )


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
    """Sum rows into cells over `out_dims`; a cell is suppressed if any of its rows is."""
    idx = [tdims.index(d) for d in out_dims]
    acc: dict[tuple[str, ...], list[Any]] = {}
    for r in rows:
        k = tuple(r.key[i] for i in idx)
        cell = acc.setdefault(k, [0, False])
        if r.suppressed or r.count is None:
            cell[1] = True
        else:
            cell[0] += r.count
    if not out_dims and not acc:
        acc[()] = [0, False]  # no case matches: a published zero (absent cells are zero)
    return [
        {**dict(zip(out_dims, k, strict=True)), "count": None if s else c, "suppressed": bool(s)}
        for k, (c, s) in sorted(acc.items(), key=lambda kv: _sort_key(kv[0]))
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


def _assert_safe(view: ReleaseView, cells: list[dict[str, Any]]) -> None:
    """Defence in depth: no count from 1 to threshold − 1 ever leaves this function."""
    for c in cells:
        n = c["count"]
        if n is not None and 0 < n < view.threshold:
            raise DisclosureError(
                f"Release {view.release_id}: a count below the threshold would be published; refused."
            )
