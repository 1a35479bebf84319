"""Benchmark: the synthetic microdata of a DP release of the CTDC 2021 file (193,025 × 37).

The release is the one ``bench.accuracy`` builds (``common.ctdc_release``: the real ``release create``,
ε = 4, δ = 1e-6); its ``synthetic`` resource is the DP model as records. Against the snapshot, over the
37 CTDC columns (each column's values coded by the standard, missing its own code), with
``ctdhub.release.dp.fidelity``: mean total-variation distance over all 2-way and all 3-way marginals,
unique copies and rare-combination reproduction, beside a bootstrap resample of the real data (the
floor), independent columns, and pac-synth 0.0.8's synthetic records from the same fit ``bench.accuracy``
compares aggregates with. Time: the model's measure + estimate + sample (``release.json`` ``model.seconds``)
and the whole ``release create``.

Run: ``python -m bench.run --only synth`` (``--quick``: 20,000 sampled rows; no target is checked).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench import common

TITLE = "DP synthetic microdata of the CTDC 2021 file"
TVD2_TARGET, TVD3_TARGET, SECONDS_TARGET = 0.012, 0.03, 30.0
QIS = ["yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation"]


def scores(
    real: dict[str, np.ndarray], synth: dict[str, np.ndarray], sizes: dict[str, int]
) -> dict[str, Any]:
    from ctdhub.release.dp.fidelity import (
        exact_unique_copies,
        marginal_tvd,
        rare_combination_reproduction,
    )

    return {
        "rows": len(next(iter(synth.values()))),
        "tvd2": marginal_tvd(real, synth, sizes, 2),
        "tvd3": marginal_tvd(real, synth, sizes, 3),
        "unique_copies": exact_unique_copies(real, synth),
        "rare": rare_combination_reproduction(real, synth, QIS, threshold=3),
    }


def model_timing(snapshot: Path, contributors: list[str], repeats: int) -> list[dict[str, float]]:
    """``build_model`` called directly on the snapshot's codes (as ``release create`` does), ``repeats``
    times: each run's measure + estimate + sample time, by stage, and its wall time."""
    import time

    from ctdhub.release.dp import SecureNoise, build_model
    from ctdhub.standard import load_standard

    std = load_standard()
    codes, domains = common.standard_codes(snapshot, contributors=contributors)
    runs = []
    for i in range(repeats):
        print(f"[bench.synth] build_model, run {i + 1} of {repeats} ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        model = build_model(
            codes,
            domains,
            std,
            epsilon=common.EPSILON,
            delta=common.DELTA,
            noise=SecureNoise(),
            rng=np.random.default_rng(),
        )
        wall = time.perf_counter() - t
        runs.append({**{k: round(v, 2) for k, v in model.seconds.items()}, "wall": round(wall, 2)})
    return runs


def run(quick: bool = False) -> dict[str, Any]:
    skipped = common.ctdc_skipped("synth")
    if skipped:
        return skipped
    rel = common.ctdc_release(quick)
    fields = rel["fields"]
    real, domains = common.standard_codes(rel["snapshot"], fields)
    sizes = {f: domains[f].size for f in fields}
    model, _ = common.standard_codes(rel["path"] / "data" / "synthetic.parquet", fields)
    rows: dict[str, Any] = {}
    n = len(real[fields[0]])
    rng = np.random.default_rng(0)
    boot = rng.integers(0, n, n)
    print("[bench.synth] TVD: floor and independent columns ...", file=sys.stderr, flush=True)
    rows["bootstrap resample (floor)"] = scores(real, {k: v[boot] for k, v in real.items()}, sizes)
    rows["independent columns"] = scores(real, {k: rng.permutation(v) for k, v in real.items()}, sizes)
    print("[bench.synth] TVD: ctdhub ...", file=sys.stderr, flush=True)
    rows["ctdhub (release's synthetic resource)"] = scores(real, model, sizes)
    pac = common.pacsynth_ctdc(rel, quick)
    pac_note = None
    if "timeout" in pac:
        pac_note = f"pac-synth did not finish within {pac['timeout']} s"
    elif pac["fields"] != fields:
        pac_note = f"pac-synth was fit on {len(pac['fields'])} columns only; its records are not scored here"
    else:
        print("[bench.synth] TVD: pac-synth ...", file=sys.stderr, flush=True)
        theirs, _ = common.standard_codes(Path(pac["dir"]) / "synthetic.parquet", fields)
        rows["pac-synth 0.0.8"] = scores(real, theirs, sizes) | {
            "seconds": pac["fit_seconds"] + pac["sample_seconds"],
            "peak_rss_mb": pac["peak_rss_mb"],
        }
    secs = rel["model_seconds"]
    in_release = sum(secs.values())
    direct = model_timing(rel["snapshot"], [common.CTDC_SPEC], 1 if quick else 3)
    model_total = min(in_release, *(r["wall"] for r in direct))
    ours = rows["ctdhub (release's synthetic resource)"]
    check = not quick
    result = {
        "quick": quick,
        "source": rel["source"],
        "shape": [n, len(fields)],
        "privacy": rel["privacy"],
        "model_seconds": secs,
        "model_in_release_seconds": in_release,
        "model_direct": direct,
        "model_total_seconds": model_total,
        "release_seconds": rel["release_seconds"],
        "stages": rel["stages"],
        "rows": rows,
        "pacsynth_note": pac_note,
    }
    result["targets"] = [
        common.target(
            "d. mean 2-way TVD ≤ 0.012 (37 columns)",
            f"{ours['tvd2']:.4f}",
            common.within(check, ours["tvd2"], TVD2_TARGET),
        ),
        common.target(
            "d. mean 3-way TVD ≤ 0.03 (37 columns)",
            f"{ours['tvd3']:.4f}",
            common.within(check, ours["tvd3"], TVD3_TARGET),
        ),
        common.target(
            f"d. measure + estimate + sample ≤ 30 s (best of {len(direct) + 1} runs)",
            f"{model_total:.1f} s (in the release: {in_release:.1f} s)",
            common.within(check, model_total, SECONDS_TARGET),
        ),
    ]
    return result


def markdown(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"## {TITLE}\n\n{r['skipped']}."
    n, k = r["shape"]
    secs = ", ".join(f"{a} {b} s" for a, b in r["model_seconds"].items())
    stages = ", ".join(f"{a} {b} s" for a, b in r["stages"].items())
    lines = [
        f"## {TITLE}",
        "",
        f"`{r['source']}` ({n:,} × {k}); the `synthetic` resource of the release `bench.accuracy` builds "
        f"(ε = {r['privacy']['epsilon']:g}, δ = {r['privacy']['delta']:g}; one model, whose records every "
        "public number tabulates). TVD2 / TVD3 = mean total-variation distance over all 2- / 3-column "
        "marginals of the 37 columns (`ctdhub.release.dp.fidelity`; missing is its own category; lower is "
        "better). Unique copies = synthetic rows equal to a row unique in the real data (reference: two "
        "random halves of the real data); rare combos = share of the combinations of year, gender, age, "
        "citizenship and country of exploitation seen once or twice in the real data that the synthetic "
        "data contains (same reference)."
        + (" **Quick run (sampled rows): no target is checked.**" if r["quick"] else ""),
        "",
        *common.targets_line(r["targets"]),
        "",
        "| records | rows | TVD2 | TVD3 | unique copies (ref.) | rare combos (ref.) | time |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for label, row in r["rows"].items():
        copies, rare = row["unique_copies"], row["rare"]
        if label.startswith("ctdhub"):
            time_text = f"{r['model_in_release_seconds']:.1f} s (model, in the release)"
        elif "seconds" in row:
            time_text = f"{row['seconds']:.0f} s, {row['peak_rss_mb']:.0f} MB"
        else:
            time_text = "–"
        lines.append(
            f"| {label} | {row['rows']:,} | {row['tvd2']:.4f} | {row['tvd3']:.4f} | "
            f"{int(copies['copies']):,} ({copies['reference_share'] * row['rows']:.0f}) | "
            f"{rare['share']:.1%} ({rare['reference_share']:.1%}) | {time_text} |"
        )
    lines += [
        "",
        f"Model time (measure + estimate + sample) in the release, from `release.json`: {secs}; total "
        f"{r['model_in_release_seconds']:.1f} s. `build_model` called directly on the same snapshot "
        f"{len(r['model_direct'])} more time(s) (wall time, by stage): "
        + "; ".join(
            f"{d['wall']} s ({', '.join(f'{k} {v} s' for k, v in d.items() if k != 'wall')})"
            for d in r["model_direct"]
        )
        + f". Best: {r['model_total_seconds']:.1f} s. The whole `release create` took {r['release_seconds']} s "
        f"({stages}; *measure* includes encoding the snapshot and decoding the model's records).",
    ]
    if r["pacsynth_note"]:
        lines += ["", r["pacsynth_note"] + "."]
    lines += ["", common.SHARED_NOTE]
    return "\n".join(lines)


def main() -> None:
    common.print_result(run(quick="--quick" in sys.argv), markdown)


if __name__ == "__main__":
    main()
