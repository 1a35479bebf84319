"""Benchmark: the whole pipeline at 1, 3 and 10 million cases on one machine (`make bench-scale`).

For each size: generate the three demo contributors' files (``common.demo_files``), ingest them one
contributor at a time, build a release with the default policy (``common.timed_release``: ε = 4,
δ = 1e-6, the DP measurements, model and tables), serve it with uvicorn (1 worker) and load it with
``bench.serve``'s 50 keep-alive clients for 15 s. Every stage but serving runs in its own spawned process
whose resident memory is sampled every second, so each stage's peak RSS is its own; the server's is read
from /proc before it stops. A stage above ``RSS_GUARD_MB`` or still running at the deadline
(``CTDHUB_SCALE_DEADLINE``, a UTC time such as ``11:50``) is stopped and recorded as such.

Growth: the exponent of each stage is the least-squares slope of log(seconds) on log(cases) over the sizes
that finished; with three sizes on a shared, noisy 2-core machine an exponent up to 1.1 is read as linear.

Run: `make bench-scale` (`python -m bench.run --only scale`; `--quick`: 100k/300k/1M), or
`python -m bench.scale [--quick] [--sizes N ...]`. Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import common, serve

SIZES = (1_000_000, 3_000_000, 10_000_000)
QUICK_SIZES = (100_000, 300_000, 1_000_000)
RSS_GUARD_MB = 16_000  # stop a stage before it takes the shared 23 GB machine down
PEAK_TARGET_MB = 8 * 1024
RELEASE_TARGET_SECONDS = 15 * 60
P95_TARGET_MS = 50.0
LINEAR = 1.1  # largest exponent read as "at most linear" (three sizes, noisy machine)
LOAD_SECONDS = 15.0
PROGRESS = Path(tempfile.gettempdir()) / "ctdhub-bench-scale.json"  # the result so far, after each stage


def _generate(base: str, rows: int, q: Any) -> None:
    files, seconds = common.demo_files(Path(base), rows, seed=17)
    q.put(
        {
            "seconds": round(seconds, 1),
            "peak_rss_mb": common.peak_rss_mb(),
            "files": [[f.contributor, str(f.path), str(f.spec), f.rows] for f in files],
            "bytes": sum(Path(f.path).stat().st_size for f in files),
        }
    )


def _ingest(hub_dir: str, path: str, contributor: str, spec: str, q: Any) -> None:
    from ctdhub.ingest import ingest_file
    from ctdhub.store import init_store

    hub, _ = init_store(Path(hub_dir))
    t = time.perf_counter()
    r = ingest_file(hub, path, contributor, spec)
    q.put(
        {
            "seconds": round(time.perf_counter() - t, 1),
            "peak_rss_mb": common.peak_rss_mb(),
            "rows": r.rows_read,
            "stored": r.rows_stored,
            "quarantined": r.rows_quarantined,
        }
    )


def _release(hub_dir: str, q: Any) -> None:
    from ctdhub.store import open_store

    hub = open_store(Path(hub_dir))
    t0 = time.perf_counter()

    def log(stage: str) -> None:  # where a stage stopped by the guard was
        rss = common.proc_rss_mb(os.getpid())[0]
        print(
            f"[bench.scale]   release: {stage} at {time.perf_counter() - t0:.0f} s, RSS {rss:.0f} MB",
            file=sys.stderr,
            flush=True,
        )

    out, seconds, stages = common.timed_release(hub, 1, also=log)
    m = out.manifest
    q.put(
        {
            "seconds": round(seconds, 1),
            "peak_rss_mb": common.peak_rss_mb(),
            "stages": stages,
            "model_seconds": m["model"]["seconds"],
            "cases": out.restricted["cases_in_snapshot"],
            "model_records": m["model"]["records"],
            "tables": m["aggregates"]["tables"],
            "cells": m["aggregates"]["cells"],
            "epsilon": m["privacy"]["epsilon"],
            "releases_dir": str(hub.releases_dir),
            "bytes": sum(p.stat().st_size for p in out.path.rglob("*") if p.is_file()),
        }
    )


def _serve(releases: Path) -> dict[str, Any]:
    port = serve.free_port()
    t = time.perf_counter()
    proc = serve.start_server(releases, port, 1)
    startup = time.perf_counter() - t
    try:
        paths = serve.queries(500)
        serve.load(port, paths, 2.0)  # warm-up: the worker loads and caches the tables
        stats = serve.load(port, paths, LOAD_SECONDS)
        _, hwm = common.proc_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"seconds": round(startup, 1), "peak_rss_mb": round(hwm), "stats": stats}


def _deadline() -> float | None:
    """``CTDHUB_SCALE_DEADLINE`` (HH:MM, UTC, today) as ``time.time()``, or None."""
    value = os.environ.get("CTDHUB_SCALE_DEADLINE")
    if not value:
        return None
    hh, mm = (int(x) for x in value.split(":"))
    now = dt.datetime.now(dt.UTC)
    return now.replace(hour=hh, minute=mm, second=0, microsecond=0).timestamp()


def _save(result: dict[str, Any]) -> None:
    PROGRESS.write_text(json.dumps(result, indent=2, default=str) + "\n")


def one_size(rows: int, result: dict[str, Any], deadline: float | None) -> dict[str, Any]:
    """Every stage on ``rows`` generated cases; each stage's record is in ``result["sizes"]`` as soon as
    it has finished. Big files are removed before returning."""
    size: dict[str, Any] = {"rows": rows, "stages": {}}
    result["sizes"].append(size)
    stages = size["stages"]
    base = common.scratch(f"scale-{rows}")

    def stage(name: str, target: Any, args: tuple[Any, ...]) -> dict[str, Any] | None:
        print(f"[bench.scale] {rows:,}: {name} ...", file=sys.stderr, flush=True)
        rec = common.in_child_watched(target, args, RSS_GUARD_MB, deadline=deadline)
        stages[name] = rec
        _save(result)
        print(
            f"[bench.scale] {rows:,}: {name} {rec['seconds']} s, peak {rec['peak_rss_mb']} MB"
            + (f" — STOPPED: {rec['stopped']}" if "stopped" in rec else ""),
            file=sys.stderr,
            flush=True,
        )
        return None if "stopped" in rec else rec

    try:
        gen = stage("generate", _generate, (str(base), rows))
        if gen is None:
            return size
        size["input_mb"] = round(gen.pop("bytes") / 2**20)
        for contributor, path, spec, _ in gen["files"]:
            if stage(f"ingest {contributor}", _ingest, (str(base / "hub"), path, contributor, spec)) is None:
                return size
        ingests = [v for k, v in stages.items() if k.startswith("ingest ")]
        size["ingest"] = {
            "seconds": round(sum(v["seconds"] for v in ingests), 1),
            "peak_rss_mb": max(v["peak_rss_mb"] for v in ingests),
            "stored": sum(v["stored"] for v in ingests),
        }
        shutil.rmtree(base / "files")
        rel = stage("release", _release, (str(base / "hub"),))
        if rel is None:
            return size
        size["release_mb"] = round(rel.pop("bytes") / 2**20)
        print(f"[bench.scale] {rows:,}: serve ...", file=sys.stderr, flush=True)
        stages["serve"] = _serve(Path(rel["releases_dir"]))
        _save(result)
        return size
    finally:
        shutil.rmtree(base, ignore_errors=True)


def exponent(sizes: list[int], seconds: list[float]) -> float | None:
    """Least-squares slope of log(seconds) on log(sizes) (None under two points)."""
    pts = [(math.log(n), math.log(s)) for n, s in zip(sizes, seconds, strict=True) if s and s > 0]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return round(float(np.polyfit(x, y, 1)[0]), 2)


def _series(result: dict[str, Any]) -> dict[str, tuple[list[int], list[float], list[float]]]:
    """Stage → (sizes, seconds, peak MB) over the sizes where the stage finished."""
    out: dict[str, tuple[list[int], list[float], list[float]]] = {}

    def add(name: str, rows: int, seconds: float, peak: float) -> None:
        xs, ys, ps = out.setdefault(name, ([], [], []))
        xs.append(rows)
        ys.append(seconds)
        ps.append(peak)

    for s in result["sizes"]:
        st, rows = s["stages"], s["rows"]
        if "generate" in st and "stopped" not in st["generate"]:
            add("generate", rows, st["generate"]["seconds"], st["generate"]["peak_rss_mb"])
        if "ingest" in s:
            add("ingest (3 contributors)", rows, s["ingest"]["seconds"], s["ingest"]["peak_rss_mb"])
        rel = st.get("release")
        if rel and "stopped" not in rel:
            add("release", rows, rel["seconds"], rel["peak_rss_mb"])
            for k, v in rel["stages"].items():
                add(f"release: {k}", rows, v, rel["peak_rss_mb"])
            for k, v in rel["model_seconds"].items():
                add(f"release: model {k}", rows, v, rel["peak_rss_mb"])
        if "serve" in st:
            add("serve: startup", rows, st["serve"]["seconds"], st["serve"]["peak_rss_mb"])
            add("serve: API p95 (ms)", rows, st["serve"]["stats"]["p95_ms"], st["serve"]["peak_rss_mb"])
    return out


def finish(result: dict[str, Any]) -> dict[str, Any]:
    """Exponents and targets from the sizes measured so far."""
    quick = result["quick"]
    series = _series(result)
    result["exponents"] = {k: exponent(xs, ys) for k, (xs, ys, _) in series.items()}
    result["memory_exponents"] = {
        k: exponent(xs, ps)
        for k, (xs, _, ps) in series.items()
        if not k.startswith(("release: ", "serve: API"))
    }
    largest = max(s["rows"] for s in result["sizes"])
    last = next(s for s in result["sizes"] if s["rows"] == largest)
    main = ["generate", "ingest (3 contributors)", "release", "serve: startup"]
    worst = {k: result["exponents"].get(k) for k in main if result["exponents"].get(k) is not None}
    memory = {
        k: result["memory_exponents"].get(k) for k in main if result["memory_exponents"].get(k) is not None
    }
    # judged only when every main stage finished at every size: two points of a noisy run decide nothing
    complete = all(len(series.get(k, ([], [], []))[0]) == len(result["sizes"]) >= 3 for k in main)
    peaks = [
        (rec["peak_rss_mb"], f"{s['rows']:,} {name}")
        for s in result["sizes"]
        for name, rec in s["stages"].items()
    ]
    peak, where = max(peaks) if peaks else (0, "")
    rel = last["stages"].get("release", {})
    api = last["stages"].get("serve", {}).get("stats", {})
    check = not quick and largest >= 10_000_000
    targets = [
        common.target(
            f"every stage grows at most linearly (exponent ≤ {LINEAR}, time and peak memory)",
            "time: "
            + (", ".join(f"{k} {v}" for k, v in worst.items()) or "fewer than two sizes")
            + "; memory: "
            + (", ".join(f"{k} {v}" for k, v in memory.items()) or "fewer than two sizes")
            + ("" if complete else " (not judged: a stage did not finish at every size)"),
            None if quick or not complete else all(v <= LINEAR for v in [*worst.values(), *memory.values()]),
        ),
        common.target(
            "peak memory of every stage ≤ 8 GB",
            f"{peak / 1024:.1f} GB ({where})" + (f"; stopped: {rel['stopped']}" if "stopped" in rel else ""),
            None if quick else peak <= PEAK_TARGET_MB and "stopped" not in rel,
        ),
        common.target(
            f"release of {largest:,} cases ≤ 15 minutes",
            (
                f"stopped after {rel['seconds']} s: {rel['stopped']}"
                if "stopped" in rel
                else f"{rel.get('seconds')} s"
            )
            if rel
            else "not reached",
            common.within(
                check, rel.get("seconds") if "stopped" not in rel else math.inf, RELEASE_TARGET_SECONDS
            ),
        ),
        common.target(
            f"API p95 at {largest:,} cases ≤ 50 ms at {serve.CLIENTS} clients, no errors",
            f"{api['p95_ms']} ms, {api['errors']} errors" if api else "not reached",
            None if not check else bool(api) and api["p95_ms"] <= P95_TARGET_MS and api["errors"] == 0,
        ),
    ]
    result["targets"] = targets
    return result


def run(quick: bool = False, sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    if quick:
        sizes = QUICK_SIZES
    deadline = _deadline()
    result: dict[str, Any] = {
        "quick": quick,
        "sizes": [],
        "load_seconds": LOAD_SECONDS,
        "guard_mb": RSS_GUARD_MB,
    }
    for rows in sizes:
        if deadline is not None and time.time() > deadline:
            result.setdefault("not_run", []).append(rows)
            continue
        one_size(rows, result, deadline)
        _save(finish(result))
    return finish(result)


def _notes(r: dict[str, Any]) -> list[str]:
    """One line per size: input, cases stored, release size and the API's figures."""
    notes = []
    for s in r["sizes"]:
        st = s["stages"]
        bits = [f"input {s.get('input_mb', '–')} MB"]
        if "ingest" in s:
            bits.append(f"{s['ingest']['stored']:,} cases stored")
        if "release" in st and "stopped" not in st["release"]:
            rel = st["release"]
            bits.append(
                f"release {s.get('release_mb', '–')} MB on disk, {rel['tables']} tables, {rel['cells']:,} cells, "
                f"{rel['model_records']:,} model records, ε {rel['epsilon']:.3f}"
            )
        if "serve" in st:
            x = st["serve"]["stats"]
            bits.append(
                f"API {x['requests']:,} requests, {x['rps']} req/s, p50 {x['p50_ms']} ms, p99 {x['p99_ms']} ms"
            )
        notes.append(f"- {s['rows']:,}: " + "; ".join(bits) + ".")
    if r.get("not_run"):
        notes.append(f"- not run (deadline): {', '.join(f'{n:,}' for n in r['not_run'])}.")
    return notes


def markdown(r: dict[str, Any]) -> str:
    series = _series(r)
    sizes = [s["rows"] for s in r["sizes"]]
    head = " | ".join(f"{n:,} s | {n:,} MB" for n in sizes)
    lines = [
        "## Scale: 1, 3 and 10 million cases end to end",
        "",
        "Three generated demo contributors per size; each stage (generate, ingest per contributor, "
        "`release create` with the default policy: ε = 4, δ = 1e-6, DP measurements and model, tables, files) in "
        "its own process, resident memory sampled every second; then the release served by uvicorn (1 worker) "
        f"under {serve.CLIENTS} keep-alive clients for {r['load_seconds']:g} s (`bench.serve`'s queries). "
        "Exponent: least-squares slope of log(seconds) on log(cases); up to "
        f"{LINEAR} is read as linear (three sizes, noisy machine). Peak: the stage process's high-water RSS."
        + (" **Quick run: no target is checked.**" if r["quick"] else ""),
        "",
        *common.targets_line(r["targets"]),
        "",
        f"| stage | {head} | exponent (time) | exponent (peak MB) |",
        "|---|" + "---:|---:|" * len(sizes) + "---:|---:|",
    ]
    for name, (xs, ys, ps) in series.items():
        cells = []
        for n in sizes:
            if n in xs:
                i = xs.index(n)
                cells += [f"{ys[i]:g}", f"{ps[i]:,.0f}" if not name.startswith("release: ") else ""]
            else:
                cells += ["–", "–"]
        mem = r.get("memory_exponents", {}).get(name, "")
        lines.append(f"| {name} | {' | '.join(cells)} | {r['exponents'].get(name)} | {mem} |")
    for s in r["sizes"]:
        for name, rec in s["stages"].items():
            if "stopped" in rec:
                curve = ", ".join(f"{t:g} s {mb:,.0f}" for t, mb in rec["rss_mb"][::6])
                lines += ["", f"**{s['rows']:,}: {name} stopped** after {rec['seconds']} s, peak {rec['peak_rss_mb']} MB: "
                          f"{rec['stopped']}. Its resident memory (MB) over time: {curve}."]  # fmt: skip
    lines += ["", *_notes(r), *(f"- {n}" for n in r.get("notes", [])), "", common.SHARED_NOTE]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    a = p.parse_args()
    common.print_result(run(a.quick, tuple(a.sizes)), markdown)


if __name__ == "__main__":
    main()
