"""Benchmark: the public API under load. The release ``bench.release`` has just built over N generated
cases (else one built here: aggregates and model only) is served by uvicorn in a subprocess on loopback;
50 concurrent keep-alive clients issue `/api/v1/stats` queries with 2 dimensions and 2 filters for ~30 s,
then the same clients hit `/healthz` for as long (the same-run baseline). Target: stats p95 ≤ 50 ms, no
errors.

The clients speak minimal HTTP/1.1 over asyncio streams so that the load generator, which shares the
machine with the server, costs little CPU; latency is closed-loop (send → full body received).

Run: `python -m bench.serve [--rows N] [--seconds S] [--workers W]` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import common

CLIENTS = 50
POLICY = (
    "policy: bench\nprivacy: {display_threshold: 10}\nsynthetic: {enabled: false}\nformats: [csv, parquet]\n"
)
# 2 dims + 2 filters, each answered by one published 3-way table (the default specs have no 4-way table)
TEMPLATES = [
    "dims=gender,typeOfExploit&year_from={y0}&year_to={y1}&gender={g}",
    "dims=yearOfRegistration,typeOfExploit&exploitation_region={r}&year_from={y0}",
    "dims=gender,ageBroad&typeOfExploit={t}&gender={g}",
    "dims=yearOfRegistration,gender&typeOfExploit={t}&year_to={y1}",
    "dims=exploitation_region,typeOfExploit&year_from={y0}&year_to={y1}&exploitation_region={r}",
]
GENDERS = ["Female", "Male", "Female,Male"]
REGIONS = ["Europe", "Asia", "Africa", "Americas"]
TYPES = ["isForcedLabour", "isSexualExploit", "isOtherExploit"]


def queries(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        y0 = rng.randint(2015, 2020)
        q = rng.choice(TEMPLATES).format(
            y0=y0,
            y1=y0 + rng.randint(0, 5),
            g=rng.choice(GENDERS),
            r=rng.choice(REGIONS),
            t=rng.choice(TYPES),
        )
        out.append("/api/v1/stats?" + q)
    return out


def build_release(base: Path, rows: int) -> Path:
    from ctdhub.release.create import create_release

    hub, _, _ = common.demo_hub(base, rows, seed=11)
    policy = base / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    create_release(hub, policy)
    return hub.releases_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(releases: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CTDHUB_SERVE_RELEASES": str(releases), "CTDHUB_SERVE_RELEASE": ""}
    cmd = [
        sys.executable, "-m", "uvicorn", "ctdhub.publish.app:app_from_env", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _client(port: int, paths: list[str], until: float, lat: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = random.randrange(len(paths))
    while time.perf_counter() < until:
        path = paths[i % len(paths)]
        i += 1
        t = time.perf_counter()
        try:
            status = await _get(reader, writer, path)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(f"{path}: {exc!r}")
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            continue
        lat.append(time.perf_counter() - t)
        if status != 200:
            errors.append(f"{path}: HTTP {status}")
    writer.close()


def load(port: int, paths: list[str], seconds: float, clients: int = CLIENTS) -> dict[str, Any]:
    lat: list[float] = []
    errors: list[str] = []

    async def main() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_client(port, paths, until, lat, errors) for _ in range(clients)))

    t = time.perf_counter()
    asyncio.run(main())
    wall = time.perf_counter() - t
    ms = sorted(x * 1000 for x in lat)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [0.0] * 99
    return {
        "requests": len(ms),
        "errors": len(errors),
        "first_errors": errors[:3],
        "rps": round(len(ms) / wall, 1),
        "p50_ms": round(q[49], 2),
        "p95_ms": round(q[94], 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(ms[-1], 2) if ms else 0.0,
    }


def compute_ms(releases: Path, paths: list[str]) -> float:
    """Median in-process time of one uncached `stats()` call for the same queries (no HTTP)."""
    from urllib.parse import parse_qs, urlsplit

    from ctdhub.publish.gate import Gate
    from ctdhub.publish.stats import Filters, split_values, stats
    from ctdhub.publish.tables import release_tables

    view = Gate(releases).release(None)
    times = []
    for p in paths[:200]:
        qs = parse_qs(urlsplit(p).query)
        dims = split_values(qs.pop("dims", [""]))
        f = Filters.from_mapping({k: (v[0] if k.startswith("year") else v) for k, v in qs.items()})
        release_tables(view)._results.clear()  # measure the computation, not the result cache
        t = time.perf_counter()
        stats(view, dims, f)
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 3)


def run(
    rows: int = 1_000_000, seconds: float = 30.0, workers: tuple[int, ...] = (1, 2), quick: bool = False
) -> dict[str, Any]:
    """Load runs against the same release, once per uvicorn worker count in ``workers``."""
    if quick:
        rows, seconds = 100_000, 10.0
    paths = queries(500)
    shared = common.SHARED.get("release_hub")
    build: float | None = None
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if shared and shared["rows"] == rows:
            releases, reused = Path(shared["releases_dir"]), True
        else:
            t = time.perf_counter()
            releases, reused = build_release(Path(tmp), rows), False
            build = time.perf_counter() - t
        for w in workers:
            print(f"[bench.serve] {w} worker(s) ...", file=sys.stderr, flush=True)
            port = free_port()
            proc = start_server(releases, port, w)
            try:
                load(port, paths, 2.0)  # warm-up: every worker loads and caches the tables
                stats_run = load(port, paths, seconds)
                base_run = load(port, ["/healthz"], seconds)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            runs[str(w)] = {
                "stats": stats_run,
                "healthz": base_run,
                "p95_ratio": round(stats_run["p95_ms"] / base_run["p95_ms"], 2)
                if base_run["p95_ms"]
                else None,
                "target_met": stats_run["p95_ms"] <= 50 and stats_run["errors"] == 0,
            }
        compute = compute_ms(releases, paths)
    return {
        "rows": rows,
        "clients": CLIENTS,
        "seconds": seconds,
        "build_seconds": round(build, 1) if build is not None else None,
        "reused": reused,
        "runs": runs,
        "stats_compute_ms": compute,
        "queries": TEMPLATES,
        "quick": quick,
        "targets": [
            common.target(
                f"f. API p95 ≤ 50 ms at {CLIENTS} clients, no errors (uvicorn, {w} worker{'s' * (w != '1')})",
                f"{x['stats']['p95_ms']} ms, {x['stats']['errors']} errors",
                None if quick else x["target_met"],
            )
            for w, x in runs.items()
        ],
    }


def markdown(r: dict[str, Any]) -> str:
    built = (
        "the release `bench.release` built, default policy"
        if r.get("reused")
        else f"aggregates and model only; built in {r['build_seconds']} s"
    )
    lines = [
        "## Serve: public API under load",
        "",
        *common.targets_line(r.get("targets", [])),
        "",
        f"Release over {r['rows']:,} generated cases ({built}), served by uvicorn on loopback, once with each "
        f"worker count. {r['clients']} concurrent keep-alive clients for {r['seconds']:g} s each: "
        "`/api/v1/stats` with 2 dimensions and 2 filters (500 distinct queries over the published 3-way "
        "tables), then `/healthz` as the same-run baseline.",
        "",
        "| workers | endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w, run in r["runs"].items():
        for name, x in (("stats", run["stats"]), ("healthz (baseline)", run["healthz"])):
            lines.append(
                f"| {w} | {name} | {x['requests']:,} | {x['rps']:,} | {x['p50_ms']} | {x['p95_ms']} | "
                f"{x['p99_ms']} | {x['max_ms']} | {x['errors']} |"
            )
    ratios = ", ".join(f"{w} worker(s) {x['p95_ratio']}×" for w, x in r["runs"].items())
    lines += [
        "",
        f"p95 ratio stats / healthz: {ratios}. One uncached `stats()` computation in process: "
        f"{r['stats_compute_ms']} ms (median)."
        + (" **Quick run: no target is checked.**" if r.get("quick") else ""),
    ]
    multi = [x for w, x in r["runs"].items() if w != "1"]
    if multi and min(x["healthz"]["p50_ms"] for x in multi) >= 38:
        lines += [
            "",
            "With more than one worker even `/healthz` takes ~40 ms a request: uvicorn's multi-worker mode binds "
            "its listening socket without `IPPROTO_TCP`, so asyncio never sets `TCP_NODELAY` on the accepted "
            "connections, and each keep-alive response (headers and body written separately) waits for the "
            "client's delayed ACK (uvicorn issue #3149, open in uvicorn 0.54). The latency of the API itself is "
            "the single-worker row.",
        ]
    lines += ["", common.SHARED_NOTE]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    common.print_result(run(a.rows, a.seconds, tuple(a.workers), quick=a.quick), markdown)


if __name__ == "__main__":
    main()
