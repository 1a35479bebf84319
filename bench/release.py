"""Benchmark: the whole `release create` on N demo cases (default 1,000,000): target ≤ 5 minutes on 2 cores.

Same-run baseline: DuckDB alone exporting the same cases to CSV and Parquet (the floor any release pays),
reported with the ratio. Run: `python -m bench.release [--rows N]` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any


def run(rows: int = 1_000_000, quick: bool = False) -> dict[str, Any]:
    import duckdb

    from ctdhub.demo.generate import generate
    from ctdhub.ingest import ingest_file
    from ctdhub.release.create import create_release
    from ctdhub.store import init_store

    if quick:
        rows = 100_000
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        t = time.perf_counter()
        files = generate(base / "files", rows, seed=13)
        gen = time.perf_counter() - t
        hub, _ = init_store(base / "hub")
        t = time.perf_counter()
        for f in files:
            ingest_file(hub, f.path, f.contributor, f.spec)
        ingest = time.perf_counter() - t
        stages: dict[str, float] = {}
        last = [time.perf_counter(), ""]

        def step(stage: str) -> None:
            now = time.perf_counter()
            if last[1]:
                stages[str(last[1])] = round(now - float(last[0]), 1)
            last[0], last[1] = now, stage

        t = time.perf_counter()
        out = create_release(hub, None, progress=step)
        release_seconds = time.perf_counter() - t
        stages[str(last[1])] = round(time.perf_counter() - float(last[0]), 1)
        con = duckdb.connect()
        t = time.perf_counter()
        snap = out.path / "restricted" / "snapshot.parquet"
        con.execute(f"COPY (SELECT * FROM read_parquet('{snap}')) TO '{base / 'b.csv'}' (HEADER)")
        con.execute(f"COPY (SELECT * FROM read_parquet('{snap}')) TO '{base / 'b.parquet'}' (FORMAT parquet)")
        baseline = time.perf_counter() - t
        m = out.manifest
    return {
        "rows": rows,
        "cases": m["store_state"]["cases"],
        "generate_seconds": round(gen, 1),
        "ingest_seconds": round(ingest, 1),
        "release_seconds": round(release_seconds, 1),
        "stages": stages,
        "baseline_export_seconds": round(baseline, 1),
        "ratio": round(release_seconds / baseline, 1) if baseline else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "kanon": {k: m["kanon"][k] for k in ("k_achieved", "rows_out", "rows_suppressed", "level_names")},
        "aggregates": m["aggregates"],
        "synthetic_tvd_2way": m["synthetic"]["fidelity"]["tvd_2way"],
    }


def markdown(r: dict[str, Any]) -> str:
    ok = "met" if r["release_seconds"] <= 300 else "NOT met"
    stages = ", ".join(f"{k} {v} s" for k, v in r["stages"].items())
    return "\n".join(
        [
            f"## Release: `release create` on {r['cases']:,} cases",
            "",
            f"Three generated demo contributors ({r['rows']:,} rows, ingested in {r['ingest_seconds']} s), default policy "
            "(k = 10, ε = 4, δ = 1e-6, threshold 10, CSV + XLSX + Parquet).",
            "",
            "| | seconds |",
            "|---|---:|",
            f"| DuckDB alone: export the snapshot to CSV and Parquet (baseline) | {r['baseline_export_seconds']} |",
            f"| ctdhub `release create` (snapshot, k-anonymity, aggregates + audit, synthetic, files, report) | {r['release_seconds']} |",
            "",
            f"Stages: {stages}. Ratio to the baseline: {r['ratio']}×. Target ≤ 300 s: **{ok}**. "
            f"Peak RSS {r['peak_rss_mb']} MB. k achieved {r['kanon']['k_achieved']}, "
            f"{r['aggregates']['tables']} aggregate tables ({r['aggregates']['primary']} + {r['aggregates']['secondary']} "
            f"cells suppressed), synthetic mean 2-way TVD {r['synthetic_tvd_2way']:.4f}.",
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    a = p.parse_args()
    r = run(a.rows)
    print(json.dumps(r, indent=2, default=str))
    print(markdown(r))


if __name__ == "__main__":
    main()
