"""Benchmark: full `ingest` of four file shapes, each against DuckDB alone loading the same data into a
table in the same run. Target (issue 15): ≤ 2× DuckDB's own load on every shape; peak memory ≤ 2 GB.

Shapes (all generated at bench time in a temporary directory, with fixed seeds):

* ``ctdc``: a CTDC-shaped narrow CSV, 1,000,000 rows resampled with replacement from the CTDC 2021
  synthetic release (../shared/reference, never copied into the repository; 37 columns, ISO3 countries,
  flags 1 or blank), ingested with the built-in ``ctdc-synthetic`` mapping;
* ``htcds_xlsx``: the HTCDS 2.0 Excel template's column layout (39 columns, codes on row 1, labels on
  row 2, multi-select answers joined by ';', real date cells), 200,000 invented rows written as .xlsx,
  ingested with the built-in ``htcds`` mapping. The baseline is DuckDB reading the workbook with its
  ``excel`` extension (``read_xlsx``), which PyPI ships for DuckDB 1.4 only: ``make bench`` installs that
  DuckDB in ``.venv-duckdb-excel`` (requirements/bench-duckdb-excel.txt). Without it the baseline falls
  back to DuckDB loading the same rows written as CSV, and says so. The CSV load and calamine's parse
  alone are shown beside it;
* ``casework``: the wide case-management export of ``ctdhub.demo`` (``write_casework_csv``, ~60
  columns), ingested with the demo ``harbour-casework`` mapping;
* ``long``: a long export, one row per case and attribute with one row per exploitation type of a case
  (about 1,000,000 rows for 250,000 cases), ingested with a long-layout mapping written here.

Run: `python -m bench.ingest_shapes [--shapes ...] [--quick]` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import common

RATIO_TARGET = 2.0
RSS_TARGET_MB = 2048
SHAPES = ("ctdc", "htcds_xlsx", "casework", "long")
FULL_ROWS = {"ctdc": 1_000_000, "htcds_xlsx": 200_000, "casework": 1_000_000, "long": 250_000}
QUICK_ROWS = {"ctdc": 100_000, "htcds_xlsx": 20_000, "casework": 100_000, "long": 25_000}
HTCDS_TEMPLATE = common.REFERENCE / "htcds" / "Toolkit-Excel-HTCDS_Excel_Spreadsheet_v2.0.xlsx"

CHILD = """
import json, resource, sys, time
from pathlib import Path
mode, path, work, contributor, spec = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4], sys.argv[5]
t = time.perf_counter()
stages = {}
if mode == "duckdb":
    import duckdb
    con = duckdb.connect(str(work / "baseline.duckdb"))
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, header=true)", [path])
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    out = {"rows": rows}
elif mode == "duckdb_xlsx":  # run by the DuckDB 1.4 of EXCEL_BASELINE, which has the excel extension
    import duckdb, glob, sysconfig
    ext = glob.glob(sysconfig.get_paths()["purelib"] + "/duckdb_ext/extensions/v*/*/excel.duckdb_extension")
    con = duckdb.connect(str(work / "baseline.duckdb"))
    con.execute("SET enable_progress_bar = false")
    con.execute(f"LOAD '{ext[0]}'")
    # all_varchar: the template's second row (labels) defeats type detection, as it does a user's
    con.execute("CREATE TABLE t AS SELECT * FROM read_xlsx(?, header=true, all_varchar=true)", [path])
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    out = {"rows": rows}
elif mode == "calamine":
    from python_calamine import CalamineWorkbook
    book = CalamineWorkbook.from_path(path)
    grid = book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False)
    out = {"rows": len(grid)}
else:
    from ctdhub.ingest import ingest_file
    from ctdhub.store import init_store
    made = time.perf_counter()
    hub, _ = init_store(work / "hub")  # a hub exists before an ingest: its creation is not timed
    t += time.perf_counter() - made
    last = [None, time.perf_counter()]
    def step(stage):
        now = time.perf_counter()
        if last[0]:
            stages[last[0]] = round(now - last[1], 2)
        last[0], last[1] = stage, now
    r = ingest_file(hub, path, contributor, spec, progress=step)
    step("")
    out = {"rows": r.rows_read, "stored": r.rows_stored, "quarantined": r.rows_quarantined,
           "skipped": r.rows_skipped}
out["seconds"] = time.perf_counter() - t
out["stages"] = stages
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


EXCEL_BASELINE = Path(__file__).resolve().parents[1] / ".venv-duckdb-excel" / "bin" / "python"


def _child(mode: str, path: Path, work: Path, contributor: str = "", spec: str = "") -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    python = str(EXCEL_BASELINE) if mode == "duckdb_xlsx" else sys.executable
    out = subprocess.run(
        [python, "-c", CHILD, mode, str(path), str(work), contributor, spec],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench child {mode} on {path.name} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------------------------- the files


def ctdc_csv(out: Path, rows: int, seed: int = 15) -> Path:
    """`rows` records resampled with replacement from the CTDC 2021 synthetic file (header kept)."""
    with common.CTDC_2021.open(encoding="utf-8", newline="") as fh:
        header, *lines = fh.readlines()
    pick = np.random.default_rng(seed).integers(0, len(lines), rows)
    with out.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        for start in range(0, rows, 100_000):
            fh.write("".join(lines[i] for i in pick[start : start + 100_000]))
    return out


NAMES = ("Ana", "Bao", "Chen", "Dara", "Elif", "Farid", "Gita", "Hoa", "Ines", "Jon", "Kofi", "Lena")
COUNTRIES = ("PHL", "VNM", "KHM", "THA", "MMR", "IDN", "UKR", "MDA", "ROU", "NGA", "GHA", "USA")
CONTROLS = ("DebtBondage", "Physical threats", "TakesEarnings", "FalsePromises", "WithholdsDocuments")
EXPLOITS = ("ForcedLabour", "Sexual exploitation", "ForcedBegging", "Forced marriage")
INDUSTRIES = ("A_AgricultureForestryAndFishing", "Construction", "T_ActivitiesOfHouseholdsAsEmployers")
SEX_TYPES = ("Prostitution", "Pornography")
GENDERS = ("Feminine", "Masculine", "NonSpecifiedUnknown", "Female", "Male")


def _multi(rng: np.random.Generator, options: tuple[str, ...], n: int) -> list[str]:
    """`n` multi-select answers: 0 to 3 of `options` joined by ';'."""
    k = rng.integers(0, 4, n)
    return [";".join(options[j] for j in sorted(set(rng.integers(0, len(options), c)))) for c in k]


def htcds_files(out_dir: Path, rows: int, seed: int = 15) -> tuple[Path, Path]:
    """The HTCDS template's layout with `rows` invented cases: as .xlsx (codes on row 1, the template's
    labels on row 2, numbered cases from row 3, dates as date cells) and the same rows as CSV (dates as ISO
    text) for DuckDB."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    book_in = CalamineWorkbook.from_path(str(HTCDS_TEMPLATE))
    grid = book_in.get_sheet_by_name(book_in.sheet_names[0]).to_python(skip_empty_area=False)
    codes = [str(c) for c in grid[0]]
    labels = [str(c) for c in grid[1]]
    at = {c: i for i, c in enumerate(codes) if c}
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(NAMES), rows)
    gender = rng.integers(0, len(GENDERS), rows)
    cit = rng.integers(0, len(COUNTRIES), rows)
    loc = rng.integers(0, len(COUNTRIES), rows)
    birth = rng.integers(0, 40 * 365, rows)
    referral = rng.integers(0, 8 * 365, rows)
    control, exploit = _multi(rng, CONTROLS, rows), _multi(rng, EXPLOITS, rows)
    industry, sex = _multi(rng, INDUSTRIES, rows), _multi(rng, SEX_TYPES, rows)
    xlsx, csv_path = out_dir / "htcds.xlsx", out_dir / "htcds.csv"
    book = xlsxwriter.Workbook(str(xlsx), {"constant_memory": True})
    sheet = book.add_worksheet("Sheet1")
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, codes)
    sheet.write_row(1, 0, labels)
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c or f"column_{i + 1}" for i, c in enumerate(codes)])
        for i in range(rows):
            b = dt.date(1970, 1, 1) + dt.timedelta(days=int(birth[i]))
            r = dt.date(2015, 1, 1) + dt.timedelta(days=int(referral[i]))
            cells: dict[str, Any] = {
                "cas_CaseOwner": "Staff " + NAMES[(i * 7) % len(NAMES)],
                "prs_FirstName": NAMES[first[i]],
                "prs_SecondName": NAMES[(first[i] + 5) % len(NAMES)],
                "prs_Gender": GENDERS[gender[i]],
                "prs_Citizenship": COUNTRIES[cit[i]],
                "prs_Email": f"person{i}@example.org",
                "vic_MethodsOfControl": control[i],
                "vic_TypeOfExploitation": exploit[i],
                "vic_ForcedLabourIndustry": industry[i],
                "vic_TypeOfSexExploitation": sex[i],
                "vic_LocationOfExploitation": COUNTRIES[loc[i]],
                "cas_Status": "Open" if i % 3 else "Closed",
            }
            row = i + 2
            sheet.write_number(row, 0, i + 1)
            line = [str(i + 1)] + [""] * (len(codes) - 1)
            for name, value in cells.items():
                if value:
                    sheet.write_string(row, at[name], value)
                    line[at[name]] = value
            for name, day in (("prs_Birthdate", b), ("cas_IncomingReferralDate", r)):
                sheet.write_datetime(row, at[name], dt.datetime(day.year, day.month, day.day), date_fmt)
                line[at[name]] = day.isoformat()
            w.writerow(line)
    book.close()
    return xlsx, csv_path


LONG_SPEC = """spec: bench-long
version: '1.0'
standard: '1.0'
description: Invented long export, one row per case and attribute (one per exploitation type).
source:
  layout: long
  long: {case: case, attribute: attribute, value: value}
columns:
  case: {drop: the contributor's case number}
  sex: {field: gender, values: {F: Female, M: Male}}
  age: {derive: age}
  nationality: {field: citizenship}
  country: {field: CountryOfExploitation}
  year: {field: yearOfRegistration}
  exploitation:
    split: ';'
    values: {Forced labour: [isForcedLabour], Sexual exploitation: [isSexualExploit],
             Forced marriage: [isForcedMarriage], Other: [isOtherExploit]}
"""
LONG_NATIONS = ("Ukraine", "Moldova", "Viet Nam", "Philippines", "Nigeria", "Romania", "Thailand", "BRA")
LONG_EXPLOITS = ("Forced labour", "Sexual exploitation", "Forced marriage", "Other")


def long_files(out_dir: Path, cases: int, seed: int = 15) -> tuple[Path, Path]:
    """A long export of `cases` invented cases (sex, age, nationality, country, year, then one row per
    exploitation type; some attributes missing), and its mapping spec."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    case, attr, value = [], [], []
    ids = np.array([f"C{i:07d}" for i in range(cases)], dtype=object)
    columns: list[tuple[str, np.ndarray]] = [
        ("sex", rng.choice(np.array(["F", "M"], dtype=object), cases)),
        ("age", rng.integers(5, 70, cases).astype(str).astype(object)),
        ("nationality", rng.choice(np.array(LONG_NATIONS, dtype=object), cases)),
        ("country", rng.choice(np.array(LONG_NATIONS, dtype=object), cases)),
        ("year", rng.integers(2012, 2024, cases).astype(str).astype(object)),
    ]
    for name, vals in columns:
        keep = rng.random(cases) < 0.9
        case.append(ids[keep])
        attr.append(np.full(int(keep.sum()), name, dtype=object))
        value.append(vals[keep])
    for j, e in enumerate(LONG_EXPLOITS):
        keep = rng.random(cases) < (0.6 if j < 2 else 0.15)
        case.append(ids[keep])
        attr.append(np.full(int(keep.sum()), "exploitation", dtype=object))
        value.append(np.full(int(keep.sum()), e, dtype=object))
    c, a, v = np.concatenate(case), np.concatenate(attr), np.concatenate(value)
    order = np.argsort(c, kind="stable")  # an export lists each case's rows together
    table = pa.table({"case": c[order], "attribute": a[order], "value": v[order]})
    path, spec = out_dir / "long.csv", out_dir / "bench-long.yaml"
    pacsv.write_csv(table, path)
    spec.write_text(LONG_SPEC, encoding="utf-8")
    return path, spec


# ---------------------------------------------------------------------------------------------- the run


def _prepare(shape: str, base: Path, rows: int) -> dict[str, Any]:
    """The file ctdhub ingests, the file DuckDB loads, and the mapping, for one shape."""
    if shape == "ctdc":
        path = ctdc_csv(base / "ctdc.csv", rows)
        return {"file": path, "baseline": path, "contributor": "ctdc", "spec": common.CTDC_SPEC}
    if shape == "htcds_xlsx":
        xlsx, csv_path = htcds_files(base, rows)
        return {"file": xlsx, "baseline": csv_path, "contributor": "htcds-ngo", "spec": "htcds"}
    if shape == "casework":
        from ctdhub.demo.generate import demo_spec_path, write_casework_csv

        path = write_casework_csv(base / "casework.csv", rows, seed=11)
        spec = str(demo_spec_path("harbour-casework"))
        return {"file": path, "baseline": path, "contributor": "harbour-casework", "spec": spec}
    path, spec_path = long_files(base, rows)
    return {"file": path, "baseline": path, "contributor": "long-export", "spec": str(spec_path)}


def _skip_reason(shape: str) -> str | None:
    if shape == "ctdc":
        return common.ctdc_missing()
    if shape == "htcds_xlsx" and not HTCDS_TEMPLATE.is_file():
        return f"the HTCDS Excel template is not available (looked for {HTCDS_TEMPLATE}); skipped"
    return None


def run_shape(shape: str, rows: int, repeats: int, base: Path) -> dict[str, Any]:
    """Generate one shape, then time DuckDB and ctdhub on it, interleaved, each run in a fresh process."""
    missing = _skip_reason(shape)
    if missing:
        print(f"[bench.ingest_shapes] {missing}", file=sys.stderr)
        return {"skipped": missing}
    t = time.perf_counter()
    files = _prepare(shape, base, rows)
    gen = time.perf_counter() - t
    with Path(files["baseline"]).open(encoding="utf-8") as fh:
        columns = len(next(csv.reader(fh)))
    duck, hub, cal, as_csv = [], [], [], []
    xlsx = shape == "htcds_xlsx"
    excel = xlsx and EXCEL_BASELINE.is_file()  # DuckDB reads the workbook itself (`make bench` installs it)
    print(f"[bench.ingest_shapes] {shape}: {rows:,} rows ...", file=sys.stderr, flush=True)
    for i in range(repeats):  # interleaved, so both see the same machine noise
        if excel:
            duck.append(_child("duckdb_xlsx", files["file"], base / f"{shape}-d{i}"))
        if xlsx:  # for scale: the same rows as CSV, and calamine's parse alone
            as_csv.append(_child("duckdb", files["baseline"], base / f"{shape}-s{i}"))
            cal.append(_child("calamine", files["file"], base / f"{shape}-c{i}"))
        if not excel:
            duck.append(_child("duckdb", files["baseline"], base / f"{shape}-d{i}"))
        hub.append(
            _child("ctdhub", files["file"], base / f"{shape}-h{i}", files["contributor"], files["spec"])
        )
    best_duck = min(d["seconds"] for d in duck)
    best = min(hub, key=lambda h: h["seconds"])
    if excel:
        baseline = "DuckDB 1.4 read_xlsx of the same workbook"
    elif xlsx:
        baseline = "same rows as CSV (DuckDB's excel extension not installed: run `make bench`)"
    else:
        baseline = "same file"
    out = {
        "rows": rows,
        "file_rows": duck[0]["rows"],
        "columns": columns,
        "file_mb": round(Path(files["file"]).stat().st_size / 1e6, 1),
        "baseline": baseline,
        "generate_seconds": round(gen, 1),
        "duckdb_seconds": round(best_duck, 2),
        "ctdhub_seconds": round(best["seconds"], 2),
        "ratio": round(best["seconds"] / best_duck, 2),
        "stages": best["stages"],
        "ctdhub_peak_rss_mb": round(max(h["peak_rss_mb"] for h in hub)),
        "duckdb_peak_rss_mb": round(max(d["peak_rss_mb"] for d in duck)),
        "stored": best.get("stored"),
        "quarantined": best.get("quarantined"),
        "rows_skipped": best.get("skipped"),
        "pairs": [[round(d["seconds"], 2), round(h["seconds"], 2)] for d, h in zip(duck, hub, strict=True)],
    }
    if cal:
        out["calamine_seconds"] = round(min(c["seconds"] for c in cal), 2)
        out["duckdb_csv_seconds"] = round(min(c["seconds"] for c in as_csv), 2)
    return out


def run(
    rows: dict[str, int] | None = None,
    repeats: int = 3,
    quick: bool = False,
    shapes: tuple[str, ...] = SHAPES,
) -> dict[str, Any]:
    sizes = dict(QUICK_ROWS if quick else FULL_ROWS) | (rows or {})
    if quick:
        repeats = 1
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ctdhub-shapes-") as tmp:
        for shape in shapes:
            base = Path(tmp) / shape
            base.mkdir()
            results[shape] = run_shape(shape, sizes[shape], repeats, base)
    targets = []
    for shape, r in results.items():
        if "skipped" in r:
            targets.append(common.target(f"ingest ≤ {RATIO_TARGET:g}× DuckDB ({shape})", "skipped", None))
            continue
        targets.append(
            common.target(
                f"ingest ≤ {RATIO_TARGET:g}× DuckDB ({shape}, {r['rows']:,} rows)",
                f"{r['ratio']}× ({r['ctdhub_seconds']} s / {r['duckdb_seconds']} s)",
                common.within(not quick, r["ratio"], RATIO_TARGET),
            )
        )
        targets.append(
            common.target(
                f"ingest peak memory ≤ 2 GB ({shape})",
                f"{r['ctdhub_peak_rss_mb']} MB",
                common.within(not quick, r["ctdhub_peak_rss_mb"], RSS_TARGET_MB),
            )
        )
    return {"shapes": results, "repeats": repeats, "quick": quick, "targets": targets}


def markdown(r: dict[str, Any]) -> str:
    lines = [
        "## Ingest by file shape",
        "",
        "Each shape's file is ingested by ctdhub (read, map, validate, store, into a hub created before the "
        "clock starts) and loaded by DuckDB alone (`CREATE TABLE AS SELECT * FROM read_csv(...)`) in the "
        f"same run, interleaved, each run in a fresh process; best of {r['repeats']}. The HTCDS workbook's "
        "baseline is DuckDB reading the workbook itself: `read_xlsx(..., header=true, all_varchar=true)` of "
        "its `excel` extension, which PyPI ships for DuckDB 1.4 only, so it runs from a venv of its own "
        "(`.venv-duckdb-excel`, made by `make bench`); DuckDB loading the same rows written as CSV and "
        "calamine's parse of the workbook alone are shown for scale.",
        "",
        "| shape | rows | columns | MB | DuckDB s | ctdhub s | ratio | ctdhub stages (s) | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for shape, s in r["shapes"].items():
        if "skipped" in s:
            lines.append(f"| {shape} | – | – | – | – | – | – | {s['skipped']} | – |")
            continue
        stages = ", ".join(f"{k} {v}" for k, v in s["stages"].items())
        if "calamine_seconds" in s:
            stages += (
                f"; calamine parse alone {s['calamine_seconds']}; DuckDB on the rows as CSV "
                f"{s['duckdb_csv_seconds']}"
            )
        lines.append(
            f"| {shape} | {s['rows']:,} | {s['columns']} | {s['file_mb']} | {s['duckdb_seconds']} | "
            f"{s['ctdhub_seconds']} | **{s['ratio']}×** | {stages} | {s['ctdhub_peak_rss_mb']} |"
        )
    lines += ["", *common.targets_line(r["targets"]), "", common.SHARED_NOTE]
    pairs = [
        f"{shape}: " + "; ".join(f"{d} / {h}" for d, h in s["pairs"])
        for shape, s in r["shapes"].items()
        if "pairs" in s
    ]
    if pairs:
        lines += ["", "Each run (DuckDB s / ctdhub s): " + " — ".join(pairs) + "."]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shapes", nargs="*", default=list(SHAPES), choices=SHAPES)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    common.print_result(run(repeats=a.repeats, quick=a.quick, shapes=tuple(a.shapes)), markdown)


if __name__ == "__main__":
    main()
