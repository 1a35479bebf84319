"""`make bench`: run every benchmark and write docs/benchmarks.md with the command and the machine.

Performance targets are met here, never in timed unit tests. Each benchmark compares against a baseline
measured in the same run and reports the ratio (this machine has 2 cores and is noisy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from bench.common import met_mark

BENCHMARKS = ["ingest", "ingest_shapes", "accuracy", "synth", "release", "serve", "linkage"]
EXTRA = ["scale"]  # run only when named (`--only scale`, `make bench-scale`); rendered after BENCHMARKS
OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.json"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(x.split()[1]) // 1024 // 1024
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem = 0
    return f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def summary(results: dict[str, Any]) -> list[str]:
    """One table of every target the benchmarks check, in the order of BENCHMARKS."""
    rows = []
    for name in BENCHMARKS + EXTRA:
        for t in results.get(name, {}).get("result", {}).get("targets", []):
            rows.append(f"| {t['target']} | {t['measured']} | {met_mark(t['met'])} | {name} |")
    if not rows:
        return []
    return ["## Targets", "", "| target | measured | met | section |", "|---|---|---|---|", *rows, ""]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--only", nargs="*", default=BENCHMARKS)
    p.add_argument("--quick", action="store_true", help="Smaller inputs, for a smoke run.")
    a = p.parse_args()
    fresh: dict[str, Any] = {}
    for name in a.only:
        try:
            mod = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"skip {name}: {exc}", file=sys.stderr)
            continue
        print(f"== {name}", file=sys.stderr)
        result = mod.run(quick=a.quick) if "quick" in mod.run.__code__.co_varnames else mod.run()
        fresh[name] = {
            "result": result,
            "markdown": mod.markdown(result),
            "date": dt.date.today().isoformat(),
            "machine": machine(),
            "command": ("make bench-scale" if name in EXTRA else "make bench")
            + (" (python -m bench.run --quick)" if a.quick else ""),
        }
    # read the saved results only now: another `bench.run --only X` may have finished meanwhile
    previous: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous.update(fresh)
    RESULTS.write_text(json.dumps(previous, indent=2, default=str) + "\n")
    write(previous)


def write(results: dict[str, Any]) -> None:
    """docs/benchmarks.md from the saved results of every benchmark."""
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench.run`). Each section names its command, machine and date; ratios",
        "compare against a baseline measured in the same run. Targets are checked here, never in unit tests.",
        "The machine has 2 cores and is shared with other work, so timings are noisy.",
        "",
        *summary(results),
    ]
    for name in BENCHMARKS + EXTRA:
        if name in results:
            e = results[name]
            parts += [
                e["markdown"],
                "",
                f"*Command:* `{e['command']}` — *machine:* {e['machine']} — *date:* {e['date']}",
                "",
            ]
    OUT.write_text("\n".join(parts))
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
