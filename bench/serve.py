"""Benchmark: the public API under load. A release over N generated cases (aggregates only), served by
uvicorn in a subprocess on loopback; 50 concurrent keep-alive clients issue `/api/v1/stats` queries with
2 dimensions and 2 filters for ~30 s, then the same clients hit `/healthz` for as long (the same-run
baseline). Target: stats p95 ≤ 50 ms, no errors.

The clients speak minimal HTTP/1.1 over asyncio streams so that the load generator, which shares the
machine with the server, costs little CPU; latency is closed-loop (send → full body received).

Run: `python -m bench.serve [--rows N] [--seconds S] [--workers W]` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

CLIENTS = 50
POLICY = (
    "policy: bench\nkanon: {enabled: false}\nsynthetic: {enabled: false}\n"
    "aggregates: {threshold: 10}\nformats: [csv, parquet]\n"
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
    from ctdhub.demo.generate import generate
    from ctdhub.ingest import ingest_file
    from ctdhub.release.create import create_release
    from ctdhub.store import init_store

    hub, _ = init_store(base / "hub")
    for f in generate(base / "files", rows, seed=11):
        ingest_file(hub, f.path, f.contributor, f.spec)
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
    rows: int = 1_000_000, seconds: float = 30.0, workers: int = 2, quick: bool = False
) -> dict[str, Any]:
    if quick:
        rows, seconds = 100_000, 10.0
    paths = queries(500)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        releases = build_release(Path(tmp), rows)
        build = time.perf_counter() - t
        port = free_port()
        proc = start_server(releases, port, workers)
        try:
            load(port, paths, 2.0)  # warm-up: every worker loads and caches the tables
            stats_run = load(port, paths, seconds)
            base_run = load(port, ["/healthz"], seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        compute = compute_ms(releases, paths)
    return {
        "rows": rows,
        "clients": CLIENTS,
        "seconds": seconds,
        "workers": workers,
        "build_seconds": round(build, 1),
        "stats": stats_run,
        "healthz": base_run,
        "stats_compute_ms": compute,
        "p95_ratio": round(stats_run["p95_ms"] / base_run["p95_ms"], 2) if base_run["p95_ms"] else None,
        "target_met": stats_run["p95_ms"] <= 50 and stats_run["errors"] == 0,
        "queries": TEMPLATES,
    }


def markdown(r: dict[str, Any]) -> str:
    s, h = r["stats"], r["healthz"]
    lines = [
        "## Serve: public API under load",
        "",
        f"Release over {r['rows']:,} generated cases (aggregates only; built in {r['build_seconds']} s), "
        f"served by uvicorn with {r['workers']} worker(s) on loopback. {r['clients']} concurrent keep-alive "
        f"clients for {r['seconds']:g} s each: `/api/v1/stats` with 2 dimensions and 2 filters (500 distinct "
        "queries over the published 3-way tables), then `/healthz` as the same-run baseline.",
        "",
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, x in (("stats", s), ("healthz (baseline)", h)):
        lines.append(
            f"| {name} | {x['requests']:,} | {x['rps']:,} | {x['p50_ms']} | {x['p95_ms']} | {x['p99_ms']} "
            f"| {x['max_ms']} | {x['errors']} |"
        )
    lines += [
        "",
        f"p95 ratio stats / healthz: **{r['p95_ratio']}×**. One uncached `stats()` computation in process: "
        f"{r['stats_compute_ms']} ms (median). Target p95 ≤ 50 ms with no errors: "
        f"**{'met' if r['target_met'] else 'NOT met'}**.",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    result = run(a.rows, a.seconds, a.workers, quick=a.quick)
    print(json.dumps(result, indent=2))
    print(markdown(result))


if __name__ == "__main__":
    main()
