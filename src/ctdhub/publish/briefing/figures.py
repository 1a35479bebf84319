"""The gate entry point of briefings: every figure counted from the restricted snapshot and protected.

``compute_figures(view, selection, comparison)`` touches only ``view.restricted_snapshot("briefing")``.
In an in-memory DuckDB it filters the snapshot to the selection and counts the briefing's tables with
``ctdhub.release.aggregates.build_aggregates`` — the same counting, primary and secondary suppression
(margins, geographic hierarchies, flag-family bounds, LP-checked) and rounding as the release's own
tables, with the release's threshold. All tables of one period are protected jointly; the comparison
period (which may not overlap the selection's years) is a second, disjoint selection protected the same
way. ``check_disclosure`` is the last line of defence: any figure from 1 to threshold − 1 raises
``DisclosureError``. Suppressed cells are ``None``; absent cells are published zeros.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from ctdhub.publish.briefing.selection import BriefingError, Selection, SelectionError
from ctdhub.publish.gate import DisclosureError, ReleaseView
from ctdhub.release.aggregates import ANY_INFO, UNKNOWN, TableSpec, build_aggregates
from ctdhub.sql import qi, ql
from ctdhub.standard import Standard, load_standard

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
    """One protected table: cells by category (None = suppressed; a category not listed is zero)."""

    name: str
    dims: tuple[str, ...]
    cells: dict[Key, int | None]

    def value(self, *key: str) -> int | None:
        return self.cells.get(tuple(key), 0)

    def suppressed(self) -> list[Key]:
        return [k for k, v in self.cells.items() if v is None]

    def items(self) -> Iterator[tuple[Key, int | None]]:
        return iter(sorted(self.cells.items()))

    def ranked(self, *, exclude: tuple[str, ...] = (UNKNOWN, ANY_INFO)) -> list[tuple[str, int | None]]:
        """One-way cells, largest published first, suppressed ones last (for tables and charts)."""
        rows = [(k[0], v) for k, v in self.cells.items() if k[0] not in exclude]
        return sorted(rows, key=lambda kv: (kv[1] is None, -(kv[1] or 0), kv[0]))


@dataclass(frozen=True)
class PeriodFigures:
    """The protected tables of one selection."""

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
        """Countries with at least one case (published or suppressed cells; Unknown excluded)."""
        return sum(1 for k in self.tables[name].cells if k[0] != UNKNOWN)


@dataclass(frozen=True)
class BriefingFigures:
    """Everything a briefing prints, already protected."""

    release_id: str
    threshold: int
    rounding: int | None
    main: PeriodFigures
    comparison: PeriodFigures | None
    manifest: dict[str, Any]
    citation: str = ""

    def periods(self) -> list[PeriodFigures]:
        return [self.main] + ([self.comparison] if self.comparison else [])


def share(numerator: int | None, denominator: int | None) -> float | None:
    """numerator / denominator from published figures only; None if either is suppressed or the base is 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def change(current: int | None, previous: int | None) -> float | None:
    """Relative change from previous to current (None when either is suppressed or previous is 0)."""
    if current is None or previous is None or previous <= 0:
        return None
    return (current - previous) / previous


def _period(
    con: duckdb.DuckDBPyConnection,
    prefix: str,
    selection: Selection,
    *,
    threshold: int,
    rounding: int | None,
    std: Standard,
) -> PeriodFigures:
    source = f"sel_{prefix}"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {source} AS SELECT s.* FROM snap AS s WHERE {selection.sql('s')}"
    )
    specs = [TableSpec(dims, name=f"{prefix}_{name}") for name, dims in TABLES.items()]
    build_aggregates(con, source, threshold=threshold, specs=specs, rounding=rounding, std=std, prefix=prefix)
    tables = {}
    for name, dims in TABLES.items():
        cols = ", ".join([*(qi(d) for d in dims), "count"])
        rows = con.execute(f"SELECT {cols} FROM {qi(f'{prefix}_{name}')}").fetchall()
        cells = {tuple(str(v) for v in r[:-1]): (None if r[-1] is None else int(r[-1])) for r in rows}
        tables[name] = Breakdown(name, dims, cells)
    return PeriodFigures(selection, tables)


def compute_figures(
    view: ReleaseView,
    selection: Selection,
    comparison: Selection | None = None,
    *,
    std: Standard | None = None,
) -> BriefingFigures:
    """Count and protect the briefing's figures for ``selection`` (and a disjoint comparison period)."""
    std = std or load_standard()
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
    snapshot = view.restricted_snapshot("briefing")
    policy = view.manifest["policy"]["aggregates"]
    threshold, rounding = int(policy["threshold"]), policy.get("rounding")
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW snap AS SELECT * FROM read_parquet({ql(str(snapshot))})")
        (n,) = con.execute(f"SELECT count(*) FROM snap AS s WHERE {selection.sql('s')}").fetchone() or (0,)
        if n == 0:
            raise BriefingError(
                f"The selection matches no case in release {view.release_id}; widen it (other years, "
                "countries or regions, or fewer filters)."
            )
        if n < threshold:
            raise BriefingError(
                f"The selection holds fewer than {threshold} cases in release {view.release_id}, too few to "
                "publish anything; widen it (more years, countries or regions)."
            )
        main = _period(con, "main", selection, threshold=threshold, rounding=rounding, std=std)
        cmp = None
        if comparison is not None:
            cmp = _period(con, "cmp", comparison, threshold=threshold, rounding=rounding, std=std)
    finally:
        con.close()
    figures = BriefingFigures(
        view.release_id, threshold, rounding, main, cmp, view.public_manifest(), citation=_citation(view)
    )
    check_disclosure(figures)
    return figures


def _citation(view: ReleaseView) -> str:
    """The release's CITATION.txt when it lists one (read through the gate), else a plain reference."""
    try:
        return view.file("CITATION.txt").read_text(encoding="utf-8").strip()
    except (DisclosureError, OSError):
        created = str(view.manifest.get("created_at", ""))[:10]
        return f"Counter-trafficking data hub, release {view.release_id} ({created})."


def check_disclosure(figures: BriefingFigures) -> None:
    """Refuse the briefing if any figure lies between 1 and threshold − 1 (defence in depth)."""
    for period in figures.periods():
        for b in period.tables.values():
            for key, v in b.cells.items():
                if v is not None and 0 < v < figures.threshold:
                    raise DisclosureError(
                        f"Briefing for release {figures.release_id}: the figure {b.name}[{', '.join(key)}] is "
                        f"below the threshold {figures.threshold}; the briefing is refused."
                    )
