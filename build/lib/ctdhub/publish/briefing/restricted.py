"""Exact figures for the hub's own staff: ``ctdhub briefing --exact``, on the command line only.

Counts the release's restricted snapshot (``<release>/restricted/snapshot.parquet``, never served) and
protects every table with the suppression engine of ``ctdhub.release.aggregates.build_aggregates``
(primary and secondary suppression at the release's display threshold, all tables of a period
linked). The briefing it feeds is marked "Restricted: exact figures, not for publication" on every page:
suppression alone does not survive differencing across documents, which is why public briefings are
differentially private (``figures.compute_figures``). The API and the dashboard never import this module.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ctdhub.errors import CtdhubError
from ctdhub.publish.briefing.figures import (
    TABLES,
    Breakdown,
    BriefingFigures,
    PeriodFigures,
    check_comparison,
    citation_text,
    refuse_small,
    select,
)
from ctdhub.publish.briefing.selection import Selection
from ctdhub.publish.gate import DisclosureError
from ctdhub.release.aggregates import TableSpec, build_aggregates
from ctdhub.release.registry import RESTRICTED_DIR, get_release, list_releases
from ctdhub.sql import qi
from ctdhub.standard import Standard, load_standard

SNAPSHOT = f"{RESTRICTED_DIR}/snapshot.parquet"


def _period(
    con: duckdb.DuckDBPyConnection,
    snapshot: str,
    prefix: str,
    selection: Selection,
    threshold: int,
    std: Standard,
) -> PeriodFigures:
    source = select(con, snapshot, f"sel_{prefix}", selection)
    specs = [TableSpec(dims, name=f"{prefix}_{name}") for name, dims in TABLES.items()]
    build_aggregates(con, source, threshold=threshold, specs=specs, std=std, prefix=prefix)
    tables = {}
    for name, dims in TABLES.items():
        cols = ", ".join([*(qi(d) for d in dims), "count"])
        rows = con.execute(f"SELECT {cols} FROM {qi(f'{prefix}_{name}')}").fetchall()
        cells = {tuple(str(v) for v in r[:-1]): (None if r[-1] is None else int(r[-1])) for r in rows}
        tables[name] = Breakdown(name, dims, cells)
    return PeriodFigures(selection, tables)


def exact_figures(
    releases_dir: Path,
    release_id: str | None,
    selection: Selection,
    comparison: Selection | None = None,
    *,
    std: Standard | None = None,
) -> BriefingFigures:
    """Exact, suppressed figures for ``selection`` from a release's restricted snapshot (staff only)."""
    std = std or load_standard()
    check_comparison(selection, comparison)
    if not release_id or release_id == "latest":
        published = list_releases(releases_dir, include_withdrawn=False)
        if not published:
            raise CtdhubError("No release has been published yet.", hint="ctdhub release create")
        release_id = published[-1].release_id
    path, manifest = get_release(releases_dir, release_id)
    snapshot = path / SNAPSHOT
    if not snapshot.is_file():
        raise CtdhubError(
            f"Release {release_id} keeps no restricted snapshot; exact figures are not available."
        )
    threshold = manifest.privacy.display_threshold
    con = duckdb.connect()
    try:
        (n,) = con.execute(
            f"SELECT count(*) FROM read_parquet(?) AS s WHERE {selection.sql('s')}", [str(snapshot)]
        ).fetchone() or (0,)
        refuse_small(int(n), threshold, release_id)
        main = _period(con, str(snapshot), "main", selection, threshold, std)
        cmp = _period(con, str(snapshot), "cmp", comparison, threshold, std) if comparison else None
    finally:
        con.close()
    citation_file = path / "CITATION.txt"
    listed = citation_file.read_text(encoding="utf-8").strip() if citation_file.is_file() else None
    figures = BriefingFigures(
        release_id,
        threshold,
        None,
        main,
        cmp,
        manifest,
        citation=citation_text(release_id, manifest, listed),
        exact=True,
    )
    check_disclosure(figures)
    return figures


def check_disclosure(figures: BriefingFigures) -> None:
    """Refuse the exact briefing if any figure lies between 1 and threshold − 1 (defence in depth)."""
    for period in figures.periods():
        for b in period.tables.values():
            for key, v in b.cells.items():
                if v is not None and 0 < v < figures.threshold:
                    raise DisclosureError(
                        f"Briefing for release {figures.release_id}: the figure {b.name}[{', '.join(key)}] is "
                        f"below the threshold {figures.threshold}; the briefing is refused."
                    )
