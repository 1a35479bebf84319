"""Generate the invented demo contributors' files: realistic in shape and distribution, entirely invented.

Three contributors in three shapes (see `harbour`, `lighthouse`, `refugio`), each with a mapping spec
under `specs/`. Same seed and row count give the same bytes. Defects (typos, unknown country strings,
future years, duplicates, contradictions) are part of the draw, so validation has work to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctdhub.demo import distributions as d
from ctdhub.demo.harbour import write_casework_csv
from ctdhub.demo.lighthouse import write_hotline_csv
from ctdhub.demo.refugio import write_ngo_xlsx

__all__ = ["CONTRIBUTORS", "DemoFile", "demo_spec_path", "generate", "split_rows", "write_casework_csv"]

SPEC_DIR = Path(__file__).parent / "specs"


@dataclass(frozen=True)
class DemoFile:
    """One generated contributor file and the spec that ingests it."""

    contributor: str
    path: Path
    spec: Path
    rows: int
    description: str


@dataclass(frozen=True)
class _Contributor:
    name: str
    file_name: str
    description: str
    write: Callable[..., Path]


CONTRIBUTORS: tuple[_Contributor, ...] = (
    _Contributor(
        "harbour-casework",
        "harbour-casework.csv",
        "Case-management export in English (South-East Asia): CSV, UTF-8, comma, 60 columns with "
        "Yes/No/Unknown flags, dates of birth and registration, client names and phones (dropped).",
        write_casework_csv,
    ),
    _Contributor(
        "lighthouse-hotline",
        "lighthouse-hotline.csv",
        "Hotline export with its own codes (Europe): CSV, cp1252, semicolons, 15 columns, gender 1/2/3/9, "
        "age-group codes, -99/NULL missing, exploitation code lists '1|3', multi-select control text.",
        write_hotline_csv,
    ),
    _Contributor(
        "refugio-ngo",
        "refugio-ngo.xlsx",
        "NGO spreadsheet in Spanish (Latin America): .xlsx with a title row, header in row 3, exact ages, "
        "Excel dates, Spanish country names, 'Amenazas, Deuda' multi-select text, a few blank rows.",
        write_ngo_xlsx,
    ),
)


def demo_spec_path(contributor: str) -> Path:
    """The mapping spec of a demo contributor."""
    names = [c.name for c in CONTRIBUTORS]
    if contributor not in names:
        raise ValueError(f"unknown demo contributor {contributor!r} (known: {', '.join(names)})")
    return SPEC_DIR / f"{contributor}.yaml"


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
    """Write the three demo contributors' files into `out_dir` (`rows` in total); return what was written."""
    if rows < 0:
        raise ValueError("rows must be zero or more")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = split_rows(rows)
    files = []
    for c in CONTRIBUTORS:
        n = counts[c.name]
        if progress:
            progress(c.name, n)
        path = c.write(out_dir / c.file_name, n, seed=seed)
        files.append(DemoFile(c.name, path, demo_spec_path(c.name), n, c.description))
    return files
