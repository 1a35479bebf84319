"""Benchmark: the whole `release create` on N demo cases (default 1,000,000): target ≤ 2 minutes on 2 cores.

Three generated demo contributors are ingested into a hub, then `release create` runs with the default
policy (ε = 4, δ = 1e-6, secure noise, CSV + XLSX + Parquet). Same-run baselines on the release's own
snapshot: DuckDB alone exporting it to CSV and Parquet, and counting the exact cells of the same tables
(``aggregates.count_cells``, no privacy): what a release without DP would pay at least. The build runs in
its own process so that its peak RSS is its own; the hub stays in the work directory so that
``bench.serve`` can serve this very release.

Run: `python -m bench.release [--rows N]` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bench import common

TARGET_SECONDS = 120


def _child(base: str, rows: int, q: Any) -> None:
    import duckdb

    from ctdhub.release.aggregates import default_specs

    work = Path(base)
    hub, gen, ingest = common.demo_hub(work, rows, seed=13)
    out, release_seconds, stages = common.timed_release(hub, 1)
    peak = common.peak_rss_mb()
    snap = out.path / "restricted" / "snapshot.parquet"
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM read_parquet('{snap}')) TO '{work / 'b.csv'}' (HEADER)")
    con.execute(f"COPY (SELECT * FROM read_parquet('{snap}')) TO '{work / 'b.parquet'}' (FORMAT parquet)")
    export = time.perf_counter() - t
    t = time.perf_counter()
    common.exact_cells(snap, default_specs(), con)
    counts = time.perf_counter() - t
    m = out.manifest
    q.put(
        {
            "rows": rows,
            "cases": m["model"]["records"],
            "store_cases": out.restricted["cases_in_snapshot"],
            "releases_dir": str(hub.releases_dir),
            "generate_seconds": round(gen, 1),
            "ingest_seconds": round(ingest, 1),
            "release_seconds": round(release_seconds, 1),
            "stages": stages,
            "model_seconds": m["model"]["seconds"],
            "baseline_export_seconds": round(export, 1),
            "baseline_counts_seconds": round(counts, 1),
            "peak_rss_mb": round(peak),
            "aggregates": m["aggregates"],
            "epsilon": m["privacy"]["epsilon"],
        }
    )


def run(rows: int = 1_000_000, quick: bool = False) -> dict[str, Any]:
    if quick:
        rows = 100_000
    base = common.scratch(f"release-{rows}")
    result = common.in_child(_child, (str(base), rows))
    common.SHARED["release_hub"] = {"releases_dir": result["releases_dir"], "rows": rows}
    baseline = result["baseline_export_seconds"] + result["baseline_counts_seconds"]
    result["ratio"] = round(result["release_seconds"] / baseline, 1) if baseline else None
    result["quick"] = quick
    result["targets"] = [
        common.target(
            f"e. `release create` on {result['store_cases']:,} cases ≤ 2 minutes",
            f"{result['release_seconds']} s ({result['ratio']}× the DuckDB baseline)",
            common.within(not quick, result["release_seconds"], TARGET_SECONDS),
        )
    ]
    return result


def markdown(r: dict[str, Any]) -> str:
    stages = ", ".join(f"{k} {v} s" for k, v in r["stages"].items())
    model = ", ".join(f"{k} {v} s" for k, v in r["model_seconds"].items())
    return "\n".join(
        [
            f"## Release: `release create` on {r['store_cases']:,} cases",
            "",
            f"Three generated demo contributors ({r['rows']:,} rows, generated in {r['generate_seconds']} s, ingested "
            f"in {r['ingest_seconds']} s), default policy (ε = 4, δ = 1e-6, secure noise, CSV + XLSX + Parquet; "
            "k-anonymised microdata off, as by default). The build runs in its own process."
            + (" **Quick run: no target is checked.**" if r["quick"] else ""),
            "",
            *common.targets_line(r["targets"]),
            "",
            "| | seconds |",
            "|---|---:|",
            f"| DuckDB alone: export the snapshot to CSV and Parquet (baseline) | {r['baseline_export_seconds']} |",
            f"| DuckDB alone: exact cells of the same {r['aggregates']['tables']} tables, no privacy (baseline) "
            f"| {r['baseline_counts_seconds']} |",
            "| ctdhub `release create` (snapshot, DP measurements and model, tables with intervals, synthetic "
            f"records, files, report) | {r['release_seconds']} |",
            "",
            f"Stages: {stages} (model: {model}). Ratio to the two baselines together: **{r['ratio']}×**. "
            f"Peak RSS {r['peak_rss_mb']} MB. {r['aggregates']['tables']} tables, "
            f"{r['aggregates']['cells']:,} cells, {r['cases']:,} model records; ε spent {r['epsilon']:.3f}.",
            "",
            common.SHARED_NOTE,
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    a = p.parse_args()
    common.print_result(run(a.rows), markdown)


if __name__ == "__main__":
    main()
