"""Generate the invented demo contributors' files: realistic in shape and distribution, entirely invented.

Three contributors in three shapes (see `harbour`, `lighthouse`, `refugio`), each with a mapping spec
under `specs/`. Same seed and row count give the same bytes. Defects (typos, unknown country strings,
future years, duplicates, contradictions) are part of the draw, so validation has work to do.

Harbour and refugio carry identity columns (names, date of birth) of invented people (`people`,
`identity`); about 10 % of refugio's people are also harbour's, written with the variations of real
records (typos, transliterations, swapped dates ...). The specs drop these columns, so no identity value
reaches the store. Who is who is written to `truth/truth-persons.csv` (contributor, source_row,
person_id) in the output directory: the demo's answer key for record linkage, invented data like the
rest, never a contributor's file and never published by the hub.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ctdhub.demo import distributions as d
from ctdhub.demo.harbour import write_casework, write_casework_csv
from ctdhub.demo.identity import TRUTH_FILE, Shared, Written, shared_rows, write_truth
from ctdhub.demo.lighthouse import write_hotline_csv
from ctdhub.demo.refugio import write_ngo

__all__ = [
    "CONTRIBUTORS",
    "DemoFile",
    "demo_spec_path",
    "generate",
    "split_rows",
    "truth_path",
    "write_casework_csv",
]

SPEC_DIR = Path(__file__).parent / "specs"


@dataclass(frozen=True)
class DemoFile:
    """One generated contributor file and the spec that ingests it."""

    contributor: str
    path: Path
    spec: Path
    rows: int
    description: str


@dataclass
class _Linkage:
    """What the writers share: the seed, who is behind each row, harbour's people who go to refugio."""

    seed: int
    counts: dict[str, int]
    harbour_rows: np.ndarray
    refugio_rows: np.ndarray
    shared: Shared | None = None
    written: dict[str, Written] = field(default_factory=dict)


def _harbour(path: Path, n: int, link: _Linkage) -> Path:
    w, link.shared = write_casework(path, n, seed=link.seed, share=link.harbour_rows)
    link.written["harbour-casework"] = w
    return w.path


def _lighthouse(path: Path, n: int, link: _Linkage) -> Path:
    return write_hotline_csv(path, n, seed=link.seed)


def _refugio(path: Path, n: int, link: _Linkage) -> Path:
    first = link.counts["harbour-casework"] + 1  # refugio's own people are numbered after harbour's
    w = write_ngo(path, n, seed=link.seed, shared=link.shared, at=link.refugio_rows, first_person=first)
    link.written["refugio-ngo"] = w
    return w.path


@dataclass(frozen=True)
class _Contributor:
    name: str
    file_name: str
    description: str
    write: Callable[[Path, int, _Linkage], Path]


CONTRIBUTORS: tuple[_Contributor, ...] = (
    _Contributor(
        "harbour-casework",
        "harbour-casework.csv",
        "Case-management export in English (South-East Asia): CSV, UTF-8, comma, 61 columns with "
        "Yes/No/Unknown flags, dates of birth and registration, client names and phones (dropped).",
        _harbour,
    ),
    _Contributor(
        "lighthouse-hotline",
        "lighthouse-hotline.csv",
        "Hotline export with its own codes (Europe): CSV, cp1252, semicolons, 15 columns, gender 1/2/3/9, "
        "age-group codes, -99/NULL missing, exploitation code lists '1|3', multi-select control text.",
        _lighthouse,
    ),
    _Contributor(
        "refugio-ngo",
        "refugio-ngo.xlsx",
        "NGO spreadsheet in Spanish (Latin America): .xlsx with a title row, header in row 3, exact ages, "
        "Excel dates, Spanish country names, 'Amenazas, Deuda' multi-select text, a few blank rows; "
        "names and dates of birth (dropped), some of harbour's clients among them.",
        _refugio,
    ),
)


def demo_spec_path(contributor: str) -> Path:
    """The mapping spec of a demo contributor."""
    names = [c.name for c in CONTRIBUTORS]
    if contributor not in names:
        raise ValueError(f"unknown demo contributor {contributor!r} (known: {', '.join(names)})")
    return SPEC_DIR / f"{contributor}.yaml"


def truth_path(out_dir: Path) -> Path:
    """The answer key of the demo files generated into `out_dir`: which row is which invented person."""
    return Path(out_dir) / TRUTH_FILE


def split_rows(rows: int) -> dict[str, int]:
    """Split the total over the contributors by their shares; the xlsx one is capped, CSVs take the rest."""
    xlsx = min(round(rows * d.SHARES["refugio-ngo"]), d.XLSX_MAX_ROWS)
    rest = rows - xlsx
    csv_share = d.SHARES["harbour-casework"] + d.SHARES["lighthouse-hotline"]
    hotline = round(rest * d.SHARES["lighthouse-hotline"] / csv_share)
    return {"harbour-casework": rest - hotline, "lighthouse-hotline": hotline, "refugio-ngo": xlsx}


def generate(
    out_dir: Path,
    rows: int = 30_000,
    *,
    seed: int = 7,
    progress: Callable[[str, int], None] | None = None,
) -> list[DemoFile]:
    """Write the three demo contributors' files into `out_dir` (`rows` in total), and the answer key
    `truth_path(out_dir)`; return the contributors' files."""
    if rows < 0:
        raise ValueError("rows must be zero or more")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = split_rows(rows)
    link = _Linkage(seed, counts, *shared_rows(counts["harbour-casework"], counts["refugio-ngo"], seed))
    files = []
    for c in CONTRIBUTORS:
        n = counts[c.name]
        if progress:
            progress(c.name, n)
        path = c.write(out_dir / c.file_name, n, link)
        files.append(DemoFile(c.name, path, demo_spec_path(c.name), n, c.description))
    write_truth(out_dir, link.written)
    return files
