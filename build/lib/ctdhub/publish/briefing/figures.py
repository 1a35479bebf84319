"""The figures a briefing prints, and the public gate entry point of briefings.

``compute_figures(view, selection, comparison)`` reads only what the gate serves: the release's
differentially private model records (``view.model_records()``) and its interval description
(``view.intervals()``). In an in-memory DuckDB it keeps the model records of the selection and counts the
briefing's tables with ``ctdhub.release.aggregates.count_cells`` — the same counting as the release's own
tables, so a briefing agrees with the dashboard, the API and the downloads. Every figure is an estimate
(post-processing of the model: no privacy is spent, whatever the selection) with its 90 % interval.
Nothing is suppressed; an estimate below the display threshold *prints* as "<10".

A briefing with too small a selection is refused with one sentence whatever the cause (no case at all or
an estimated total below the threshold), and the decision is itself taken on the estimate, so the refusal
says nothing the model does not.

The hub staff's exact figures (``ctdhub briefing --exact``) are computed by ``restricted`` from the
release's restricted snapshot; they use the same dataclasses with ``exact=True``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import duckdb

from ctdhub.publish.briefing.selection import BriefingError, GeoFilter, Selection, SelectionError
from ctdhub.publish.gate import DisclosureError, ReleaseView
from ctdhub.release.aggregates import TableSpec, count_cells
from ctdhub.release.dp.intervals import IntervalModel
from ctdhub.release.manifest import ReleaseManifest
from ctdhub.sql import ql
from ctdhub.standard import Standard, load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN, YEAR

Key = tuple[str, ...]
FAMILIES = ("typeOfExploit", "typeOfLabour", "typeOfSex", "meansOfControl", "recruiterRelation")

# breakdown name -> dimensions (names as in the release's aggregate tables)
TABLES: dict[str, tuple[str, ...]] = {
    "total": (),
    "gender": ("gender",),
    "ageBroad": ("ageBroad",),
    "gender_ageBroad": ("gender", "ageBroad"),
    "majorityStatus": ("majorityStatus",),
    "gender_majorityStatus": ("gender", "majorityStatus"),
    "citizenship": ("citizenship",),
    "citizenship_subregion": ("citizenship_subregion",),
    "citizenship_region": ("citizenship_region",),
    "exploitation_country": ("CountryOfExploitation",),
    "exploitation_subregion": ("exploitation_subregion",),
    "exploitation_region": ("exploitation_region",),
    **{fam: (fam,) for fam in FAMILIES},
    "gender_typeOfExploit": ("gender", "typeOfExploit"),
    "yearOfRegistration": ("yearOfRegistration",),
    "yearOfRegistration_typeOfExploit": ("yearOfRegistration", "typeOfExploit"),
    "Datasource": ("Datasource",),
    "contributor": ("contributor",),
}


@dataclass(frozen=True)
class Breakdown:
    """One table: cells by category (a category not listed is zero; None = suppressed, exact figures only)
    and, for estimates, each cell's 90 % interval."""

    name: str
    dims: tuple[str, ...]
    cells: dict[Key, int | None]
    intervals: dict[Key, tuple[int, int]] = field(default_factory=dict)
    modelled: frozenset[Key] = frozenset()  # estimates no measurement covers: the interval omits model error

    def value(self, *key: str) -> int | None:
        return self.cells.get(tuple(key), 0)

    def interval(self, *key: str) -> tuple[int, int] | None:
        return self.intervals.get(tuple(key))

    def suppressed(self) -> list[Key]:
        return [k for k, v in self.cells.items() if v is None]

    def items(self) -> Iterator[tuple[Key, int | None]]:
        return iter(sorted(self.cells.items()))

    def ranked(self, *, exclude: tuple[str, ...] = (UNKNOWN, ANY_INFO)) -> list[tuple[str, int | None]]:
        """One-way cells, largest first, suppressed ones last (for tables and charts)."""
        rows = [(k[0], v) for k, v in self.cells.items() if k[0] not in exclude]
        return sorted(rows, key=lambda kv: (kv[1] is None, -(kv[1] or 0), kv[0]))


@dataclass(frozen=True)
class PeriodFigures:
    """The tables of one selection."""

    selection: Selection
    tables: dict[str, Breakdown]

    def __getitem__(self, name: str) -> Breakdown:
        return self.tables[name]

    @property
    def total(self) -> int | None:
        return self.tables["total"].value()

    def known(self, name: str) -> int | None:
        """Cases whose value of a single-valued breakdown is known (total − Unknown), if published."""
        unknown = self.tables[name].value(UNKNOWN)
        if self.total is None or unknown is None:
            return None
        return self.total - unknown

    def denominator(self, name: str) -> int | None:
        """The percentage base of a breakdown: (any information) for a flag family, known cases else."""
        if name in FAMILIES:
            return self.tables[name].value(ANY_INFO)
        return self.known(name)

    def countries(self, name: str = "exploitation_country") -> int:
        """Countries with at least one case (non-zero or suppressed cells; Unknown excluded)."""
        return sum(1 for k, v in self.tables[name].cells.items() if k[0] != UNKNOWN and v != 0)


@dataclass(frozen=True)
class BriefingFigures:
    """Everything a briefing prints. ``exact`` marks the hub staff's restricted exact figures."""

    release_id: str
    threshold: int
    rounding: int | None
    main: PeriodFigures
    comparison: PeriodFigures | None
    manifest: ReleaseManifest
    citation: str = ""
    exact: bool = False
    interval_level: float | None = None

    def periods(self) -> list[PeriodFigures]:
        return [self.main] + ([self.comparison] if self.comparison else [])

    @property
    def epsilon(self) -> float:
        return float(self.manifest.privacy.epsilon)


def share(numerator: int | None, denominator: int | None) -> float | None:
    """numerator / denominator; None if either is suppressed or the base is 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def change(current: int | None, previous: int | None) -> float | None:
    """Relative change from previous to current (None when either is suppressed or previous is 0)."""
    if current is None or previous is None or previous <= 0:
        return None
    return (current - previous) / previous


def check_comparison(selection: Selection, comparison: Selection | None) -> None:
    if (
        comparison is not None
        and selection.years
        and comparison.years
        and selection.years.overlaps(comparison.years)
    ):
        raise SelectionError(
            f"--compare {comparison.years} overlaps --years {selection.years}; choose a comparison "
            "period outside the selected years."
        )


def select(con: duckdb.DuckDBPyConnection, records: str, name: str, selection: Selection) -> str:
    """A temporary view ``name`` of the records (Parquet file ``records``) in the selection."""
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT s.* FROM read_parquet({ql(records)}) AS s "
        f"WHERE {selection.sql('s')}"
    )
    return name


def count_tables(con: duckdb.DuckDBPyConnection, source: str, std: Standard) -> dict[str, dict[Key, int]]:
    """Every breakdown of ``TABLES`` counted from ``source`` (the one counting implementation)."""
    specs = [TableSpec(dims, name=name) for name, dims in TABLES.items()]
    counted = count_cells(con, source, specs, std)
    return {name: cells for name, cells in zip(TABLES, counted, strict=True)}


def refuse_small(total: int, threshold: int, release_id: str) -> None:
    """One sentence for every too-small selection (no case, or fewer than the threshold)."""
    if total < threshold:
        raise BriefingError(
            f"The selection holds fewer than {threshold} cases in release {release_id}, too few for a "
            "briefing; widen it (more years, countries or regions, or fewer filters)."
        )


def fixed_selection(selection: Selection, intervals: IntervalModel) -> dict[str, list[str]]:
    """What every cell of a period selects besides its own categories, as the interval model reads it.

    A named grouping whose membership changes over the years is taken as all its members (a wider,
    conservative interval)."""
    fixed: dict[str, list[str]] = {}
    if selection.years:
        fixed[YEAR] = [str(y) for y in selection.years.list()]
    for side, dim in (("exploitation", "CountryOfExploitation"), ("citizenship", "citizenship")):
        flt = selection.side(side)  # type: ignore[arg-type]
        if flt.empty:
            continue
        coarse = _coarse_filter(side, flt)
        if coarse is not None and coarse[0] in intervals.codes:
            # whole regions (or whole sub-regions): read as the region, which the release measures with
            # year and the profile dimensions, not as its countries (a combination it does not measure)
            fixed[coarse[0]] = coarse[1]
            continue
        codes = flt.static_codes()
        if flt.grouping and selection.grouping is not None:
            codes |= selection.grouping.ever_members()
        fixed[dim] = sorted(codes)
    if selection.datasources:
        fixed["Datasource"] = list(selection.datasources)
    if selection.contributors:
        fixed["contributor"] = list(selection.contributors)
    return {d: v for d, v in fixed.items() if d in intervals.codes}


def _coarse_filter(side: str, flt: GeoFilter) -> tuple[str, list[str]] | None:
    """A filter of whole regions only, or of whole sub-regions only: (its dimension, its values)."""
    if flt.countries or flt.grouping or (flt.regions and flt.subregions):
        return None
    level = "region" if flt.regions else "subregion"
    return f"{side}_{level}", list(flt.regions or flt.subregions)


def _with_intervals(
    name: str, cells: Mapping[Key, int], fixed: dict[str, list[str]], intervals: IntervalModel
) -> Breakdown:
    dims = TABLES[name]
    out: dict[Key, tuple[int, int]] = {}
    modelled: set[Key] = set()
    for key, n in cells.items():
        sel = {**fixed, **{d: [key[i]] for i, d in enumerate(dims)}}
        try:
            iv = intervals.interval(float(n), sel)
        except ValueError:  # a dimension the interval model does not describe: no interval printed
            continue
        out[key] = (iv.lower, iv.upper)
        if not iv.measured:
            modelled.add(key)
    return Breakdown(name, dims, dict(cells), out, frozenset(modelled))


def compute_figures(
    view: ReleaseView,
    selection: Selection,
    comparison: Selection | None = None,
    *,
    std: Standard | None = None,
) -> BriefingFigures:
    """The briefing's estimates for ``selection`` (and a disjoint comparison period), from the model."""
    std = std or load_standard()
    check_comparison(selection, comparison)
    records = str(view.model_records())
    intervals = view.intervals()
    periods: list[PeriodFigures] = []
    con = duckdb.connect()
    try:
        for prefix, sel in (("main", selection), ("cmp", comparison)):
            if sel is None:
                continue
            counted = count_tables(con, select(con, records, f"sel_{prefix}", sel), std)
            if prefix == "main":
                refuse_small(counted["total"].get((), 0), view.threshold, view.release_id)
            fixed = fixed_selection(sel, intervals)
            tables = {name: _with_intervals(name, cells, fixed, intervals) for name, cells in counted.items()}
            periods.append(PeriodFigures(sel, tables))
    finally:
        con.close()
    return BriefingFigures(
        view.release_id,
        view.threshold,
        None,
        periods[0],
        periods[1] if len(periods) > 1 else None,
        view.manifest,
        citation=citation_text(view.release_id, view.manifest, _citation_file(view)),
        interval_level=intervals.level,
    )


def _citation_file(view: ReleaseView) -> str | None:
    try:
        return view.file("CITATION.txt").read_text(encoding="utf-8").strip()
    except (DisclosureError, OSError):
        return None


def citation_text(release_id: str, manifest: ReleaseManifest, listed: str | None) -> str:
    """The release's CITATION.txt when it lists one, else a plain reference."""
    if listed:
        return listed
    created = manifest.created_at[:10]
    return f"Counter-trafficking data hub, release {release_id} ({created})."
