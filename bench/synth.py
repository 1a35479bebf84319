"""Benchmark of the DP synthetic-data engine against pac-synth 0.0.8 and MST on mbi 2.0.

Run ``python -m bench.synth`` (add ``--quick`` for a seconds-long ctdhub-only run). Two inputs:

* a generated 50,000 × 24 CTDC-like table (9 skewed categoricals + 15 yes/blank flags) whose dependencies
  no single tree captures exactly: the data source decides whether flags are recorded at all, gender and
  age drive the type of exploitation, which drives the flags; domain sizes are fixed (as a standard fixes
  them), so some codes never occur;
* the real CTDC 2021 synthetic release (193,025 × 37, ../shared/reference/ctdc/data), read at bench time,
  each column's distinct values (blank included) encoded as categories.

Each generator runs in its own spawned process so its peak RSS (``resource.getrusage``) is its own. TVD2 /
TVD3 are mean total-variation distances over all 2- / 3-column marginals (3-way sampled on the real file).
Reference rows: a fresh sample of the same population (floor) and independent columns.
mbi and pac-synth are benchmark-only dependencies.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from ctdhub.release.synthetic import synthesize
from ctdhub.release.synthetic.fidelity import (
    exact_unique_copies,
    marginal_tvd,
    rare_combination_reproduction,
)

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
CTDC_2021 = REFERENCE / "ctdc" / "data" / "CTDC_synthetic_20210825.csv"

GENERATED_DOMAINS: dict[str, int] = {
    "year": 20,
    "source": 4,
    "gender": 3,
    "age_band": 11,
    "majority": 3,
    "citizenship": 60,
    "country_exploit": 60,
    "exploit_type": 8,
    "recruiter": 6,
    **{f"flag_{i:02d}": 2 for i in range(15)},
}


def _zipf(n_values: int, s: float) -> np.ndarray:
    p = 1.0 / np.arange(1, n_values + 1) ** s
    return p / p.sum()


def _draw(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per row from ``probs[rows]`` (rows index a conditional table), vectorised."""
    cum = np.cumsum(probs, axis=1)[rows]
    u = rng.random(len(rows))[:, None] * cum[:, -1:]
    return (u > cum).sum(axis=1).astype(np.int64)


def generate(n: int = 50_000, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """A CTDC-like table of ``n`` rows; the population model is fixed (seed 12345), rows drawn with ``seed``."""
    model = np.random.default_rng(12345)
    rng = np.random.default_rng(seed)
    d = GENERATED_DOMAINS
    zero = np.zeros(n, dtype=np.int64)
    cols: dict[str, np.ndarray] = {}
    year_p = np.exp(np.linspace(-2.5, 0.0, d["year"]))
    cols["year"] = _draw(rng, (year_p / year_p.sum())[None, :], zero)
    # data source drifts with year
    src = model.dirichlet(np.full(d["source"], 0.8), size=d["year"])
    cols["source"] = _draw(rng, src, cols["year"])
    gender = model.dirichlet([6, 3, 0.4], size=d["source"])
    cols["gender"] = _draw(rng, gender, cols["source"])
    age = model.dirichlet(np.r_[np.full(d["age_band"] - 2, 1.2), 3.0, 0.0001], size=d["gender"])
    cols["age_band"] = _draw(rng, age, cols["gender"])
    majority = np.zeros((d["age_band"], 3))
    majority[:3] = [0.05, 0.9, 0.05]
    majority[3:] = [0.9, 0.05, 0.05]
    majority[d["age_band"] - 2] = [0.2, 0.1, 0.7]
    majority[d["age_band"] - 1] = [1 / 3, 1 / 3, 1 / 3]
    cols["majority"] = _draw(rng, majority, cols["age_band"])
    base_cit = _zipf(d["citizenship"], 1.1)[model.permutation(d["citizenship"])]
    cit = np.stack([model.dirichlet(base_cit * 60 + 0.01) for _ in range(d["source"])])
    cols["citizenship"] = _draw(rng, cit, cols["source"])
    # exploited mostly at home, otherwise in a few destination countries (last code is never used)
    dest = _zipf(d["country_exploit"], 1.4)[model.permutation(d["country_exploit"])]
    dest[-1] = 0.0
    ce = 0.25 * np.eye(d["citizenship"], d["country_exploit"]) + 0.75 * dest[None, :] / dest.sum()
    ce[:, -1] = 0.0
    cols["country_exploit"] = _draw(rng, ce / ce.sum(axis=1, keepdims=True), cols["citizenship"])
    et = model.dirichlet(np.full(d["exploit_type"], 0.5), size=d["gender"] * 2)
    cols["exploit_type"] = _draw(rng, et, cols["gender"] * 2 + (cols["majority"] == 1))
    rec = model.dirichlet(np.full(d["recruiter"], 0.7), size=d["exploit_type"])
    cols["recruiter"] = _draw(rng, rec, cols["exploit_type"])
    # flags, 1 = yes, 0 = blank (CTDC style): whether a source records a block of flags at all, and how
    # often each applies given the type of exploitation
    recorded = model.uniform(0.75, 0.98, size=d["source"])
    block = rng.random(n) < recorded[cols["source"]]
    p_yes = model.beta(0.5, 3.0, size=(d["exploit_type"], 15))
    for i in range(15):
        yes = rng.random(n) < p_yes[cols["exploit_type"], i]
        cols[f"flag_{i:02d}"] = (block & yes).astype(np.int64)
    return cols, dict(d)


def load_ctdc(path: Path = CTDC_2021) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The real CTDC file, each column's distinct values (blank included) as categories, at bench time.

    The domains here come from the data because the benchmark has no standard for this file; the engine
    itself never reads domains from the data.
    """
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        raw = np.array(list(reader), dtype=object)
    cols: dict[str, np.ndarray] = {}
    domains: dict[str, int] = {}
    for j, name in enumerate(header):
        values, codes = np.unique(raw[:, j].astype(str), return_inverse=True)
        cols[name] = codes.astype(np.int64)
        domains[name] = len(values)
    return cols, domains


def _dataset(name: str, quick: bool) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    if name == "generated":
        return generate(10_000 if quick else 50_000, seed=0)
    return load_ctdc()


# --------------------------------------------------------------------------------------------- generators


def _run_ctdhub(
    cols: dict[str, np.ndarray], domains: dict[str, int], eps: float, delta: float, seed: int
) -> Any:
    return synthesize(cols, domains, epsilon=eps, delta=delta, seed=seed).columns


def _run_mst(
    cols: dict[str, np.ndarray], domains: dict[str, int], eps: float, delta: float, seed: int
) -> Any:
    """MST (McKenna et al. 2021) on mbi 2.0, ported from private-pgm's mechanisms/mst.py without pandas."""
    import jax

    jax.config.update("jax_enable_x64", True)
    from mbi import Dataset, Domain, LinearMeasurement, estimation
    from scipy.special import logsumexp

    from ctdhub.release.synthetic.accounting import rho_from_eps_delta

    rng = np.random.default_rng(seed)
    names = list(cols)
    rho = rho_from_eps_delta(eps, delta)
    sigma = np.sqrt(3 / (2 * rho))

    def measure(data: Any, cliques: list[tuple[str, ...]]) -> list[Any]:
        s = sigma * np.sqrt(len(cliques))
        out = []
        for cl in cliques:
            x = np.asarray(data.project(cl).datavector())
            out.append(LinearMeasurement(x + rng.normal(0, s, size=x.size), cl, s))
        return out

    data = Dataset(cols, Domain(names, [domains[k] for k in names]))
    log1 = measure(data, [(k,) for k in names])
    supports, new_log1, new_cols, new_dom = {}, [], {}, {}
    for m in log1:
        col, y = m.clique[0], np.asarray(m.noisy_measurement)
        sup = y >= 3 * m.stddev
        supports[col] = sup
        size = int(sup.sum())
        mapping = np.full(len(sup), size)
        mapping[sup] = np.arange(size)
        new_cols[col] = mapping[cols[col]]
        new_dom[col] = size + (0 if sup.all() else 1)
        if sup.all():
            new_log1.append(m)
        else:
            y2 = np.append(y[sup], y[~sup].sum())
            i2 = np.ones(y2.size)
            i2[-1] = 1.0 / np.sqrt(y.size - y2.size + 1.0)
            y2[-1] /= np.sqrt(y.size - y2.size + 1.0)
            query = (lambda w: lambda mu: mu.datavector() * w)(i2)
            new_log1.append(LinearMeasurement(y2, m.clique, m.stddev, query=query))
    cdata = Dataset(new_cols, Domain(names, [new_dom[k] for k in names]))
    est = estimation.MirrorDescent().estimate(cdata.domain, new_log1, iters=2500)
    cand = list(combinations(names, 2))
    weights = {}
    for a, b in cand:
        xhat = np.asarray(est.project([a, b]).datavector())
        weights[(a, b)] = np.abs(np.asarray(cdata.project([a, b]).datavector()) - xhat).sum()
    comp = {k: i for i, k in enumerate(names)}
    eps_em = np.sqrt(8 * (rho / 3) / (len(names) - 1))
    tree = []
    for _ in range(len(names) - 1):
        cand = [e for e in cand if comp[e[0]] != comp[e[1]]]
        q = 0.5 * eps_em * np.array([weights[e] for e in cand])
        p = np.exp(q - logsumexp(q))
        a, b = cand[rng.choice(len(cand), p=p / p.sum())]
        old = comp[b]
        comp = {k: (comp[a] if v == old else v) for k, v in comp.items()}
        tree.append((a, b))
    log2 = measure(cdata, tree)
    model = estimation.MirrorDescent().estimate(cdata.domain, new_log1 + log2, iters=10_000)
    synth = model.synthetic_data().to_dict()
    out = {}
    for col in names:
        sup = supports[col]
        kept, extra = np.flatnonzero(sup), np.flatnonzero(~sup)
        s = np.asarray(synth[col]).astype(np.int64)
        other = s == len(kept)
        res = np.empty(len(s), dtype=np.int64)
        res[~other] = kept[s[~other]]
        if other.any():
            res[other] = rng.choice(extra, int(other.sum()))
        out[col] = res
    return out


def _run_pacsynth(
    cols: dict[str, np.ndarray], domains: dict[str, int], eps: float, delta: float, seed: int
) -> Any:
    """pac-synth 0.0.8, reporting length 3; blank (code of '' / flag 0) passed as pac-synth's empty value.

    An empty value in a column whose real data has no blank becomes the extra code d, scored as an error.
    """
    import pacsynth

    names = list(cols)
    labels = {k: [f"v{i}" for i in range(domains[k])] for k in names}
    for k in names:
        if k in _BLANKS:
            labels[k][_BLANKS[k]] = ""
    table = np.stack([np.asarray(labels[k], dtype=object)[cols[k]] for k in names], axis=1)
    raw = [names, *table.tolist()]
    params = (
        pacsynth.DpAggregateSeededParametersBuilder().reporting_length(3).epsilon(eps).delta(delta).build()
    )
    synth = pacsynth.DpAggregateSeededSynthesizer(params)
    synth.fit(pacsynth.Dataset(raw))
    rows = synth.sample()
    header, body = rows[0], np.array(rows[1:], dtype=object).reshape(-1, len(rows[0]))
    out = {}
    for j, k in enumerate(header):
        # pac-synth may leave an attribute empty where the real column has no blank: code d (out of domain).
        lookup = {"": domains[k], **{label: i for i, label in enumerate(labels[k])}}
        out[k] = np.array([lookup[v] for v in body[:, j]], dtype=np.int64)
    return out


_BLANKS: dict[str, int] = {}
# quasi-identifiers for the rare-combination check (combinations seen once or twice in the real data)
_QIS = {
    "generated": ["year", "gender", "age_band", "citizenship", "country_exploit"],
    "ctdc2021": ["yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation"],
}
_RUNNERS = {"ctdhub": _run_ctdhub, "mbi MST": _run_mst, "pac-synth": _run_pacsynth}


def _child(method: str, dataset: str, quick: bool, eps: float, delta: float, seed: int, queue: Any) -> None:
    cols, domains = _dataset(dataset, quick)
    _BLANKS.clear()
    _BLANKS.update(_blank_codes(dataset))
    start = time.perf_counter()
    out = _RUNNERS[method](cols, domains, eps, delta, seed)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"columns": out, "seconds": seconds, "peak_rss_mb": rss})


def _blank_codes(dataset: str) -> dict[str, int]:
    """Codes passed to pac-synth as its empty value: flag 0 (generated), '' (CTDC; sorts first, so code 0)."""
    if dataset == "generated":
        return {k: 0 for k in GENERATED_DOMAINS if k.startswith("flag_")}
    with CTDC_2021.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        blank = np.zeros(len(header), dtype=bool)
        for row in reader:
            blank |= np.array([v == "" for v in row])
    return {k: 0 for k, has in zip(header, blank, strict=True) if has}


TIME_LIMIT = int(os.environ.get("CTDHUB_BENCH_TIME_LIMIT", "1200"))  # seconds per baseline run


def _isolated(method: str, dataset: str, quick: bool, eps: float, delta: float, seed: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(method, dataset, quick, eps, delta, seed, queue))
    proc.start()
    try:
        result: dict[str, Any] = queue.get(timeout=TIME_LIMIT)
    except Exception:  # queue.Empty: the baseline did not finish in time
        proc.terminate()
        proc.join()
        return {"timeout": TIME_LIMIT}
    proc.join()
    return result


# ----------------------------------------------------------------------------------------------- measuring


def _scores(
    real: dict[str, np.ndarray], synth: dict[str, np.ndarray], domains: dict[str, int], sets3: int | None
) -> dict[str, float]:
    wider = {k: d + 1 for k, d in domains.items()}  # room for pac-synth's out-of-domain empty value
    return {
        "tvd2": marginal_tvd(real, synth, wider, 2),
        "tvd3": marginal_tvd(real, synth, wider, 3, max_sets=sets3, seed=0),
    }


def run(quick: bool = False, epsilon: float = 4.0, delta: float = 1e-6, seed: int = 0) -> dict[str, Any]:
    """Measurements per dataset and generator; ``quick`` = ctdhub only, 10k generated rows."""
    results: dict[str, Any] = {
        "command": "python -m bench.synth" + (" --quick" if quick else ""),
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        },
        "epsilon": epsilon,
        "delta": delta,
        "datasets": {},
    }
    methods = ["ctdhub"] if quick else ["ctdhub", "mbi MST", "pac-synth"]
    datasets = ["generated"] + (["ctdc2021"] if CTDC_2021.is_file() else [])
    for name in datasets:
        real, domains = _dataset(name, quick)
        sets3 = None if name == "generated" else 1000
        rows: dict[str, Any] = {}
        if name == "generated":
            fresh, _ = generate(len(next(iter(real.values()))), seed=1)
            rows["fresh sample (floor)"] = _scores(real, fresh, domains, sets3)
        else:
            boot = np.random.default_rng(seed).integers(0, len(real["gender"]), len(real["gender"]))
            rows["bootstrap resample (floor)"] = _scores(
                real, {k: v[boot] for k, v in real.items()}, domains, sets3
            )
        rng = np.random.default_rng(seed)
        rows["independent columns"] = _scores(
            real, {k: rng.permutation(v) for k, v in real.items()}, domains, sets3
        )
        for method in methods:
            print(f"[bench.synth] {name}: {method} ...", file=sys.stderr, flush=True)
            out = _isolated(method, name, quick, epsilon, delta, seed)
            if "timeout" in out:
                rows[method] = {"seconds": None, "did_not_finish_within_s": out["timeout"]}
                print(f"[bench.synth] {name}: {method}: stopped after {out['timeout']} s", file=sys.stderr)
                continue
            row = {
                "seconds": out["seconds"],
                "peak_rss_mb": out["peak_rss_mb"],
                "rows": len(next(iter(out["columns"].values()))),
            }
            row.update(_scores(real, out["columns"], domains, sets3))
            row["unique_copies"] = exact_unique_copies(real, out["columns"])
            qis = _QIS[name]
            row["rare_reproduction"] = rare_combination_reproduction(real, out["columns"], qis, threshold=3)
            rows[method] = row
            print(
                f"[bench.synth] {name}: {method}: {json.dumps({k: v for k, v in row.items() if k != 'unique_copies'})}",
                file=sys.stderr,
                flush=True,
            )
        mine = rows["ctdhub"]
        for other in ("mbi MST", "pac-synth"):
            if other in rows and rows[other]["seconds"]:
                mine[f"speedup_vs_{other}"] = rows[other]["seconds"] / mine["seconds"]
                mine[f"tvd2_ratio_vs_{other}"] = mine["tvd2"] / rows[other]["tvd2"]
        results["datasets"][name] = {"shape": [len(next(iter(real.values()))), len(real)], "rows": rows}
    return results


def markdown(results: dict[str, Any]) -> str:
    """A section for docs/benchmarks.md."""
    m = results["machine"]
    lines = [
        "## DP synthetic microdata (ctdhub.release.synthetic)",
        "",
        f"Command: `{results['command']}` — {m['platform']}, Python {m['python']}, {m['cpus']} CPUs; "
        f"ε = {results['epsilon']}, δ = {results['delta']}, single runs. TVD2 / TVD3 = mean total-variation "
        "distance over all 2- / 3-column marginals (missing is its own category; lower is better). "
        "Unique copies = synthetic rows equal to a row unique in the real data; rare combos = share of "
        "combinations of year, gender, age, citizenship and country of exploitation seen once or twice in the "
        "real data that the synthetic data contains. Both beside a fresh-sample reference (two random "
        "halves of the real data, scaled).",
        "",
    ]
    for name, ds in results["datasets"].items():
        n, k = ds["shape"]
        lines += [
            f"### {name} ({n:,} × {k})",
            "",
            "| generator | time | peak memory | TVD2 | TVD3 | unique copies | rare combos | vs ctdhub |",
            "|---|---|---|---|---|---|---|---|",
        ]
        mine = ds["rows"].get("ctdhub", {})
        for label, row in ds["rows"].items():
            secs = row.get("seconds")
            rel = "–"
            if "did_not_finish_within_s" in row:
                lines.append(
                    f"| {label} | stopped after {row['did_not_finish_within_s']} s (did not finish) | – | – | – | – | – | – |"
                )
                continue
            if label in ("mbi MST", "pac-synth") and mine and f"speedup_vs_{label}" in mine:
                rel = f"ctdhub {mine[f'speedup_vs_{label}']:.0f}× faster, TVD2 ratio {mine[f'tvd2_ratio_vs_{label}']:.2f}"
            copies = row.get("unique_copies")
            copy_text = "–"
            if copies:
                ref = copies["reference_share"] * row["rows"]
                copy_text = f"{int(copies['copies'])} (fresh-sample ref. {ref:.0f})"
            rare = row.get("rare_reproduction")
            rare_text = f"{rare['share']:.1%} (ref. {rare['reference_share']:.1%})" if rare else "–"
            secs_text = f"{secs:.1f} s" if secs is not None else "–"
            mem_text = f"{row['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in row else "–"
            lines.append(
                f"| {label} | {secs_text} | {mem_text} | {row['tvd2']:.4f} | {row['tvd3']:.4f} | {copy_text} | {rare_text} | {rel} |"
            )
        lines.append("")
        if name == "generated" and mine:
            pac = mine.get("speedup_vs_pac-synth")
            ok = mine["tvd2"] <= 0.012 and mine["tvd3"] <= 0.03 and (pac is None or pac >= 10)
            ok = ok and mine.get("peak_rss_mb", 0) <= 3072
            lines += [
                f"Targets on this table: TVD2 ≤ 0.012, TVD3 ≤ 0.03, ≥ 10× faster than pac-synth, peak ≤ 3 GB: "
                f"**{'met' if ok else 'NOT met'}**.",
                "",
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ctdhub only, 10k generated rows")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    parser.add_argument("--render", type=Path, help="only render the markdown of a saved --json file")
    args = parser.parse_args(argv)
    if args.render:
        print(markdown(json.loads(args.render.read_text())))
        return
    results = run(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    print(markdown(results))


if __name__ == "__main__":
    main()
