"""What the benchmarks share: the reference CTDC file, hubs and releases in temporary directories (a hub
of generated demo files, a timed ``release create``), the standard encoding and exact cells of a
snapshot, one DP release of the CTDC file and one run of pac-synth (CTDC's engine) per process, and how
a benchmark states its targets and prints its result.

The CTDC 2021 synthetic file is read from ../shared/reference at bench time (``CTDHUB_REFERENCE``
overrides the folder) and never copied into the repository; a benchmark that needs it says so and
skips when it is absent. Temporary hubs live in one directory per process, removed at exit, so that
``bench.accuracy`` and ``bench.synth`` share one release of the CTDC file (and one pac-synth fit), and
``bench.serve`` reuses the 1,000,000-case release ``bench.release`` has just built.
"""

from __future__ import annotations

import atexit
import csv
import hashlib
import json
import multiprocessing as mp
import os
import queue
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("CTDHUB_REFERENCE", REPO.parent / "shared" / "reference"))
CTDC_2021 = REFERENCE / "ctdc" / "data" / "CTDC_synthetic_20210825.csv"
CTDC_SPEC = "ctdc-synthetic"
EPSILON, DELTA = 4.0, 1e-6  # the default policy's, and CTDC's own setting
PACSYNTH_TIME_LIMIT = int(os.environ.get("CTDHUB_BENCH_TIME_LIMIT", "1800"))  # seconds per pac-synth run
QUICK_ROWS = 20_000  # CTDC rows sampled for a --quick run
# what pac-synth is fit on when the 37 columns do not finish in time: the columns of the 1- and 2-way tables
PACSYNTH_FALLBACK = [
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
]
SHARED_NOTE = (
    "The machine has 2 cores and was shared with other work during the run, so timings are noisy; "
    "ratios are taken within one run."
)

_WORK: Path | None = None
SHARED: dict[str, Any] = {}  # results one benchmark leaves for another in the same process


def workdir() -> Path:
    """A scratch directory for this process, removed at exit."""
    global _WORK
    if _WORK is None:
        _WORK = Path(tempfile.mkdtemp(prefix="ctdhub-bench-"))
        atexit.register(shutil.rmtree, _WORK, True)
    return _WORK


def scratch(name: str) -> Path:
    """A fresh, empty sub-directory of the work directory."""
    path = workdir() / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def ctdc_missing() -> str | None:
    """None when the reference file is there, else the sentence a skipped benchmark prints."""
    if CTDC_2021.is_file():
        return None
    return f"the CTDC 2021 synthetic file is not available (looked for {CTDC_2021}); skipped"


def ctdc_skipped(module: str) -> dict[str, Any] | None:
    """``{"skipped": why}`` (said on stderr) when the reference file is absent, else None."""
    missing = ctdc_missing()
    if missing is None:
        return None
    print(f"[bench.{module}] {missing}", file=sys.stderr)
    return {"skipped": missing}


def ctdc_fields(path: Path = CTDC_2021) -> list[str]:
    """The standard fields the CTDC file's 37 columns map to (through the built-in mapping)."""
    from ctdhub.mapping import load_spec

    spec = load_spec(CTDC_SPEC)
    with path.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    return [spec.columns[name].field for name in header if name in spec.columns]


def ctdc_sample(rows: int, seed: int = 0) -> Path:
    """A random subset of the CTDC file (header kept), in the work directory: for --quick runs."""
    out = workdir() / f"ctdc-sample-{rows}-{seed}.csv"
    if not out.exists():
        with CTDC_2021.open(encoding="utf-8") as fh:
            header, *lines = fh.readlines()
        keep = sorted(random.Random(seed).sample(range(len(lines)), min(rows, len(lines))))
        out.write_text(header + "".join(lines[i] for i in keep), encoding="utf-8")
    return out


def ingest_ctdc(base: Path, csv_path: Path) -> tuple[Any, float]:
    """A new hub in ``base/hub`` holding the CTDC file (built-in spec); returns (hub, seconds)."""
    from ctdhub.ingest import ingest_file
    from ctdhub.store import init_store

    hub, _ = init_store(base / "hub")
    t = time.perf_counter()
    ingest_file(hub, csv_path, CTDC_SPEC, CTDC_SPEC)
    return hub, time.perf_counter() - t


def demo_hub(base: Path, rows: int, seed: int) -> tuple[Any, float, float]:
    """A new hub in ``base/hub`` holding ``rows`` generated demo cases (three contributors, their files in
    ``base/files``); returns (hub, seconds to generate, seconds to ingest)."""
    from ctdhub.demo.generate import generate
    from ctdhub.ingest import ingest_file
    from ctdhub.store import init_store

    t = time.perf_counter()
    files = generate(base / "files", rows, seed=seed)
    generate_seconds = time.perf_counter() - t
    hub, _ = init_store(base / "hub")
    t = time.perf_counter()
    for f in files:
        ingest_file(hub, f.path, f.contributor, f.spec)
    return hub, generate_seconds, time.perf_counter() - t


class StageClock:
    """A ``progress`` callback for ``create_release``: the seconds spent in each stage it announces
    (rounded to ``digits``), the last one closed by ``stop()``."""

    def __init__(self, digits: int) -> None:
        self.digits = digits
        self.stages: dict[str, float] = {}
        self._stage = ""
        self._since = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        if self._stage:
            self.stages[self._stage] = round(now - self._since, self.digits)
        self._since, self._stage = now, stage

    def stop(self) -> dict[str, float]:
        self.stages[self._stage] = round(time.perf_counter() - self._since, self.digits)
        return self.stages


def timed_release(
    hub: Any, digits: int, also: Callable[[str], None] | None = None
) -> tuple[Any, float, dict[str, float]]:
    """``release create`` on ``hub`` with the default policy; returns (its output, seconds, seconds by
    stage rounded to ``digits``). ``also`` is told each stage as it starts (e.g. to log it)."""
    from ctdhub.release.create import create_release

    clock = StageClock(digits)

    def progress(stage: str) -> None:
        clock(stage)
        if also is not None:
            also(stage)

    t = time.perf_counter()
    out = create_release(hub, None, progress=progress)
    seconds = time.perf_counter() - t
    return out, seconds, clock.stop()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def standard_codes(
    parquet: Path, fields: list[str] | None = None, contributors: list[str] | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Codes of ``fields`` (None: every attribute) in the records of ``parquet`` with the DP engine's own
    domains (from the standard and ``contributors``; last code = unknown), and those domains."""
    import duckdb

    from ctdhub.release.dp.space import base_domains, encode_table
    from ctdhub.standard import load_standard

    con = duckdb.connect()
    con.execute(f"CREATE VIEW recs AS SELECT * FROM read_parquet('{parquet}')")
    domains = base_domains(load_standard(), contributors or [], int(time.strftime("%Y")))
    if fields is not None:
        domains = {f: domains[f] for f in fields}
    return encode_table(con, "recs", domains), domains


def exact_cells(parquet: Path, specs: list[Any], con: Any = None) -> list[dict[tuple[str, ...], int]]:
    """The exact (no privacy) cells of the tables ``specs`` over the records of ``parquet``, counted by
    ``aggregates.count_cells`` (what a release's tables count), in ``con`` or a new DuckDB."""
    import duckdb

    from ctdhub.release.aggregates import count_cells

    if con is None:
        con = duckdb.connect()
    con.execute(f"CREATE TABLE snap AS SELECT * FROM read_parquet('{parquet}')")
    return count_cells(con, "snap", specs)


def string_rows(parquet: Path, fields: list[str]) -> list[list[str]]:
    """Records of ``parquet`` as text over ``fields`` ('' for missing), as pac-synth reads them."""
    import duckdb

    sel = ", ".join(f'coalesce(CAST("{f}" AS VARCHAR), \'\') AS "{f}"' for f in fields)
    rows = duckdb.connect().execute(f"SELECT {sel} FROM read_parquet('{parquet}')").fetchall()
    return [list(r) for r in rows]


# ------------------------------------------------------------------------------------------- pac-synth


def _pacsynth_child(parquet: str, fields: list[str], epsilon: float, delta: float, out: str, q: Any) -> None:
    import pacsynth
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = [fields, *string_rows(Path(parquet), fields)]
    params = (
        pacsynth.DpAggregateSeededParametersBuilder()
        .reporting_length(3)
        .epsilon(epsilon)
        .delta(delta)
        .build()
    )
    synth = pacsynth.DpAggregateSeededSynthesizer(params)
    t = time.perf_counter()
    synth.fit(pacsynth.Dataset(raw))
    fit = time.perf_counter() - t
    del raw
    aggregates = synth.get_dp_aggregates("|")
    Path(out, "aggregates.json").write_text(json.dumps(aggregates), encoding="utf-8")
    t = time.perf_counter()
    rows = synth.sample()
    sample = time.perf_counter() - t
    header, body = rows[0], rows[1:]
    table = pa.table({h: pa.array([r[j] for r in body], pa.string()) for j, h in enumerate(header)})
    pq.write_table(table, Path(out, "synthetic.parquet"))
    q.put(
        {
            "fit_seconds": fit,
            "sample_seconds": sample,
            "peak_rss_mb": peak_rss_mb(),
            "records": len(body),
            "dp_records": synth.get_dp_number_of_records(),
            "aggregates": len(aggregates),
        }
    )


def in_child(target: Any, args: tuple[Any, ...], time_limit: float | None = None) -> dict[str, Any]:
    """``target(*args, queue)`` in a spawned process (its own peak RSS); what it puts on the queue, or
    ``{"timeout": time_limit}`` when it has not answered by then (it is stopped)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, q))
    proc.start()
    deadline = None if time_limit is None else time.monotonic() + time_limit
    while deadline is None or time.monotonic() < deadline:
        try:
            result: dict[str, Any] = q.get(timeout=5)
        except queue.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{target.__name__} failed (exit code {proc.exitcode})") from None
            continue
        proc.join()
        return result
    proc.terminate()
    proc.join()
    return {"timeout": time_limit}


def pacsynth_run(parquet: Path, fields: list[str], key: str) -> dict[str, Any]:
    """pac-synth 0.0.8 (``DpAggregateSeededSynthesizer``, reporting length 3, ε = 4, δ = 1e-6) on the
    records of ``parquet`` over ``fields``, in its own process: its DP aggregates (``aggregates.json``:
    "attr:value|attr:value" → noisy count) and synthetic records (``synthetic.parquet``), with timings.

    One run per ``key`` (the data it was given) and process: the accuracy and synthetic-data benchmarks
    share it, as CTDC publishes both from one fit. pac-synth counts no empty value and no '0' (its
    default ``sensitive_zeros``), so its combinations only name values present in a record.
    """
    cached = SHARED.get(("pacsynth", key))
    if cached is not None:
        return dict(cached)
    out = scratch(f"pacsynth-{hashlib.sha1(key.encode()).hexdigest()[:10]}")
    print(f"[bench] pac-synth on {len(fields)} columns ...", file=sys.stderr, flush=True)
    args = (str(parquet), fields, EPSILON, DELTA, str(out))
    result = in_child(_pacsynth_child, args, PACSYNTH_TIME_LIMIT)
    if "timeout" not in result:
        result["dir"] = str(out)
    SHARED[("pacsynth", key)] = result
    return dict(result)


def pacsynth_ctdc(rel: dict[str, Any], quick: bool) -> dict[str, Any]:
    """pac-synth on the snapshot of the CTDC release ``rel`` (``ctdc_release(quick)``) over its columns; if
    that does not finish within the time limit, on the columns of the 1- and 2-way tables
    (``PACSYNTH_FALLBACK``). The result names the columns it was fit on."""
    parquet, fields, key = rel["snapshot"], rel["fields"], f"ctdc-{'quick' if quick else 'full'}"
    out = pacsynth_run(parquet, fields, key)
    out["fields"] = list(fields)
    if "timeout" not in out:
        return out
    print(f"[bench] pac-synth on {len(fields)} columns stopped after {out['timeout']} s", file=sys.stderr)
    narrow = [f for f in PACSYNTH_FALLBACK if f in fields]
    again = pacsynth_run(parquet, narrow, key + "-narrow")
    again["fields"] = narrow
    again["full_timeout"] = out["timeout"]
    return again


# ------------------------------------------------------------------------------------------ CTDC release


def ctdc_release(quick: bool) -> dict[str, Any]:
    """One release of the CTDC file (``QUICK_ROWS`` sampled rows when ``quick``) through the real
    ``release create`` (default policy: ε = 4, δ = 1e-6, secure noise), shared by the benchmarks of one
    process: where it is, its snapshot, and how long each stage took."""
    cached = SHARED.get(("ctdc_release", quick))
    if cached is not None:
        return dict(cached)
    source = ctdc_sample(QUICK_ROWS) if quick else CTDC_2021
    base = scratch("ctdc-quick" if quick else "ctdc")
    hub, ingest_seconds = ingest_ctdc(base, source)
    print(f"[bench] release create on {source.name} ...", file=sys.stderr, flush=True)
    out, seconds, stages = timed_release(hub, 2)
    m = out.manifest
    with source.open(encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    result = {
        "source": source.name,
        "rows": rows,
        "fields": ctdc_fields(source),
        "releases_dir": hub.releases_dir,
        "release_id": out.release_id,
        "path": out.path,
        "snapshot": out.path / "restricted" / "snapshot.parquet",
        "ingest_seconds": round(ingest_seconds, 2),
        "release_seconds": round(seconds, 2),
        "stages": stages,
        "model_seconds": m["model"]["seconds"],
        "model_records": m["model"]["records"],
        "privacy": {k: m["privacy"][k] for k in ("epsilon", "delta", "rho", "noise", "measurements")},
        "aggregates": m["aggregates"],
    }
    SHARED[("ctdc_release", quick)] = result
    return dict(result)


# ----------------------------------------------------------------------------------- targets and output


def target(what: str, measured: str, met: bool | None) -> dict[str, Any]:
    """One row of a benchmark's ``targets``: what is aimed at, what was measured, whether it was met."""
    return {"target": what, "measured": measured, "met": met}


def within(check: bool, value: float | None, limit: float | None) -> bool | None:
    """Whether ``value`` is within ``limit`` (None: not checked — a quick run, or nothing to check)."""
    if not check or value is None or limit is None:
        return None
    return value <= limit


def met_mark(met: bool | None) -> str:
    """How a target table shows whether a target was met."""
    return "–" if met is None else ("**met**" if met else "**NOT met**")


def targets_line(targets: list[dict[str, Any]]) -> list[str]:
    """Markdown rows of a target table: what, target, measured, met."""
    lines = ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['measured']} | {met_mark(t['met'])} |" for t in targets]
    return lines


def print_result(result: dict[str, Any], markdown: Callable[[dict[str, Any]], str]) -> None:
    """What a benchmark run on its own prints: its result as JSON, then its Markdown section."""
    print(json.dumps(result, indent=2, default=str))
    print(markdown(result))


# ------------------------------------------------------------------------------------------------ scale


def demo_files(base: Path, rows: int, seed: int) -> tuple[list[Any], float]:
    """``rows`` generated demo cases (three contributors) written into ``base/files``, as ``demo_hub``
    writes them; returns (the contributors' files, seconds to generate)."""
    from ctdhub.demo.generate import generate

    t = time.perf_counter()
    files = generate(base / "files", rows, seed=seed)
    return files, time.perf_counter() - t


def proc_rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of process ``pid`` in MB, from /proc (0 when it has gone)."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
        )
    except OSError:
        return 0.0, 0.0
    kb = [int(fields.get(k, "0 kB").split()[0]) for k in ("VmRSS", "VmHWM")]
    return kb[0] / 1024, kb[1] / 1024


def in_child_watched(
    target: Any, args: tuple[Any, ...], rss_limit_mb: float, every: float = 1.0, deadline: float | None = None
) -> dict[str, Any]:
    """``in_child`` with the child's resident memory sampled every ``every`` seconds: what it puts on the
    queue plus ``seconds`` (wall), ``peak_rss_mb`` (the kernel's high-water mark) and ``rss_mb`` (samples
    as [seconds, MB]). A child above ``rss_limit_mb`` (so that a stage outgrowing a shared machine does
    not wake the OOM killer) or still running at ``deadline`` (``time.time()``) is stopped: the result is
    then ``{"stopped": why, ...}``."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, q))
    t0 = time.perf_counter()
    proc.start()
    assert proc.pid is not None
    samples: list[list[float]] = []
    peak = 0.0
    result: dict[str, Any] | None = None
    while result is None:
        now, hwm = proc_rss_mb(proc.pid)
        peak = max(peak, hwm, now)
        samples.append([round(time.perf_counter() - t0, 1), round(now)])
        if now > rss_limit_mb:
            proc.kill()
            proc.join()
            result = {"stopped": f"resident memory {now:.0f} MB above the {rss_limit_mb:.0f} MB guard"}
            break
        if deadline is not None and time.time() > deadline:
            proc.kill()
            proc.join()
            result = {"stopped": f"still running at the deadline, after {time.perf_counter() - t0:.0f} s"}
            break
        try:
            result = q.get(timeout=every)
        except queue.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{target.__name__} failed (exit code {proc.exitcode})") from None
    _, hwm = proc_rss_mb(proc.pid)
    proc.join()
    result["seconds"] = result.get("seconds", round(time.perf_counter() - t0, 1))
    result["peak_rss_mb"] = round(max(peak, hwm, result.get("peak_rss_mb", 0.0)))
    result["rss_mb"] = samples
    return result
