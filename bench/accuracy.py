"""Benchmark: accuracy of a DP release of the CTDC 2021 file (193,025 × 37) against the exact counts.

The file is ingested with the built-in spec ``ctdc-synthetic`` and released by the real ``release create``
(default policy: ε = 4, δ = 1e-6, OpenDP's secure noise; ``common.ctdc_release``). Every number is then
compared with the exact count of the same snapshot (``restricted/snapshot.parquet``), counted by
``aggregates.count_cells`` with the same dimensions:

a. every cell of every published table: relative error (95th percentile of cells with ≥ 1,000 cases,
   median of cells with ≥ 100) and how often the exact count lies in the published 90 % interval;
b. beside pac-synth 0.0.8 (CTDC's own engine) at the same ε and δ: mean absolute error of its DP
   aggregates (post-processed to each table's cells) and of ctdhub's published estimates over the cells
   of every published table; then, beyond the target, over every 1- and 2-way cell of the 37 columns;
c. region-level figures through ``publish.stats.stats`` (what the API and the dashboard answer).

Run: ``python -m bench.run --only accuracy`` (``--quick``: 20,000 sampled rows; no target is checked).
"""

from __future__ import annotations

import json
import statistics
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from bench import common
from bench.common import target, within

TITLE = "Accuracy of a DP release of the CTDC 2021 file"
REL_TARGETS = {1000: ("p95", 0.02), 100: ("median", 0.03)}
MAE_RATIO_TARGET = 1 / 3
REGION_FIGURES = [
    ("European citizens, 2002–2018", "citizenship_region", "Europe", 2002, 2018),
    ("Exploited in Europe, 2015", "exploitation_region", "Europe", 2015, 2015),
]


# ------------------------------------------------------------------------------------------ a. tables


def _exact_tables(snapshot: Path, dims: list[tuple[str, ...]]) -> list[dict[tuple[str, ...], int]]:
    from ctdhub.release.aggregates import TableSpec

    return common.exact_cells(snapshot, [TableSpec(d) for d in dims])


def _view(rel: dict[str, Any]) -> Any:
    """The release as the public sees it (``publish.gate``)."""
    from ctdhub.publish.gate import Gate

    return Gate(rel["releases_dir"]).release(rel["release_id"])


def _tables(view: Any) -> list[tuple[str, tuple[str, ...]]]:
    """The release's published aggregate tables: (name, dimensions), in the order datapackage.json lists them."""
    from ctdhub.publish.tables import release_tables

    return [(t.name, t.dims) for t in release_tables(view).tables]


def table_cells(rel: dict[str, Any]) -> list[dict[str, Any]]:
    """Every cell of every published table that has cases or an estimate: exact count, estimate, interval."""
    view = _view(rel)
    intervals = view.intervals()
    tables = _tables(view)
    exact = _exact_tables(rel["snapshot"], [dims for _, dims in tables])
    cells = []
    for (name, dims), truth in zip(tables, exact, strict=True):
        t = view.table(name).to_pylist()
        published = {tuple(str(r[d]) for d in dims): (r["estimate"], r["lower"], r["upper"]) for r in t}
        for key in sorted(set(published) | set(truth)):
            if key in published:
                est, lo, hi = published[key]
            else:  # not listed: an estimate of 0, with the interval any reader computes from model.json
                iv = intervals.interval(0.0, {d: [key[i]] for i, d in enumerate(dims)})
                est, lo, hi = 0, iv.lower, iv.upper
            cells.append(
                {
                    "table": name,
                    "dims": dims,
                    "key": key,
                    "way": len(dims),
                    "true": truth.get(key, 0),
                    "est": est,
                    "lo": lo,
                    "hi": hi,
                }
            )
    return cells


def table_summary(cells: list[dict[str, Any]]) -> dict[str, Any]:
    def summary(sel: list[dict[str, Any]]) -> dict[str, Any]:
        rel = {
            floor: [abs(c["est"] - c["true"]) / c["true"] for c in sel if c["true"] >= floor]
            for floor in (100, 1000)
        }
        return {
            "cells": len(sel),
            "cells_ge_100": len(rel[100]),
            "cells_ge_1000": len(rel[1000]),
            "p95_rel_ge_1000": float(np.percentile(rel[1000], 95)) if rel[1000] else None,
            "median_rel_ge_100": statistics.median(rel[100]) if rel[100] else None,
            "max_rel_ge_1000": max(rel[1000]) if rel[1000] else None,
            "coverage": _coverage(sel),
            "coverage_ge_100": _coverage([c for c in sel if c["true"] >= 100]),
        }

    out = {"all": summary(cells)}
    for way in sorted({c["way"] for c in cells}):
        out[f"{way}-way"] = summary([c for c in cells if c["way"] == way])
    big = sorted(
        (c for c in cells if c["true"] >= 1000),
        key=lambda c: abs(c["est"] - c["true"]) / c["true"],
        reverse=True,
    )
    out["worst_ge_1000"] = [{k: v for k, v in c.items() if k not in ("dims", "key")} for c in big[:5]]
    return out


def _coverage(cells: list[dict[str, Any]]) -> float | None:
    return sum(c["lo"] <= c["true"] <= c["hi"] for c in cells) / len(cells) if cells else None


# --------------------------------------------------------------------------------------- b. pac-synth


def _pac_aggregates(pac: dict[str, Any]) -> dict[str, float]:
    """pac-synth's DP aggregates: "attr:value|attr:value" → noisy count."""
    aggregates: dict[str, float] = json.loads(Path(pac["dir"], "aggregates.json").read_text(encoding="utf-8"))
    return aggregates


def _dims_of(std: Any) -> dict[str, str]:
    """Column -> the dimension a release table shows it under (a flag under its family)."""
    return {m: fam.name for fam in std.families for m in fam.members}


def pacsynth_comparison(rel: dict[str, Any], pac: dict[str, Any]) -> dict[str, Any]:
    """Mean absolute error of ctdhub and pac-synth over the 1- and 2-way cells of pac-synth's columns.

    Cells: every combination of known values (pac-synth counts no empty value) that the data holds or
    either engine reports; a combination an engine does not report is its estimate of 0. ctdhub's estimate
    of a cell is the count of the release's model records (``synthetic`` resource), which is what every
    table and every API answer of the release tabulates. ``published`` = the cells of the release's own
    1- and 2-way tables.
    """
    from ctdhub.standard import load_standard

    fields = pac["fields"]
    synthetic = rel["path"] / "data" / "synthetic.parquet"
    real, domains = common.standard_codes(rel["snapshot"], fields)
    model, _ = common.standard_codes(synthetic, fields)
    sizes = {f: domains[f].size for f in fields}
    index = {f: {v: i for i, v in enumerate(domains[f].values)} for f in fields}
    aggregates = _pac_aggregates(pac)
    pac_cells: dict[tuple[str, ...], dict[tuple[int, ...], float]] = {}
    unmapped = 0
    for combo, count in aggregates.items():
        parts = [p.split(":", 1) for p in combo.split("|")]
        if len(parts) > 2:
            continue
        parts.sort(key=lambda p: fields.index(p[0]))
        attrs = tuple(a for a, _ in parts)
        codes = tuple(index[a].get(v, -1) for a, v in parts)
        if -1 in codes:
            unmapped += 1
            continue
        pac_cells.setdefault(attrs, {})[codes] = float(count)
    std = load_standard()
    dim = _dims_of(std)
    shown = {frozenset(dim.get(f, f) for f in dims) for _, dims in _tables(_view(rel))}
    rows: list[tuple[int, bool, float, float, float]] = []  # way, published, true, ctdhub, pac-synth
    for way in (1, 2):
        for attrs in combinations(fields, way):
            shape = tuple(sizes[a] for a in attrs)
            true, est = _dense(real, attrs, shape), _dense(model, attrs, shape)
            theirs = np.zeros(shape)
            for codes, count in pac_cells.get(attrs, {}).items():
                theirs[codes] = count
            known = np.ones(shape, dtype=bool)  # drop the unknown (last) code of every attribute
            for axis, n in enumerate(shape):
                idx = [slice(None)] * way
                idx[axis] = n - 1
                known[tuple(idx)] = False
            keep = known & ((true > 0) | (est > 0) | (theirs > 0))
            dims = frozenset(dim.get(a, a) for a in attrs)
            published = len(dims) == way and dims in shown
            rows += [
                (way, published, t, e, p) for t, e, p in zip(true[keep], est[keep], theirs[keep], strict=True)
            ]
    arr = np.array(rows, dtype=np.float64).reshape(-1, 5)

    def mae(sel: np.ndarray) -> dict[str, Any]:
        return _mae(arr[:, 1:], sel)  # columns 1, 2, 3 of what is left: true, ctdhub, pac-synth

    way, pub, true = arr[:, 0], arr[:, 1] > 0, arr[:, 2]
    return {
        "fields": fields,
        "scopes": {
            "1- and 2-way cells of the columns": mae(np.ones(len(arr), dtype=bool)),
            "1-way": mae(way == 1),
            "2-way": mae(way == 2),
            "cells of the release's own 1- and 2-way tables": mae(pub),
            "2-way cells outside the release's tables": mae((way == 2) & ~pub),
            "cells with ≥ 100 cases": mae(true >= 100),
        },
        "pacsynth_aggregates": len(aggregates),
        "pacsynth_unmapped": unmapped,
    }


PacIndex = dict[frozenset[str], list[tuple[dict[str, str], float]]]


def pacsynth_table_comparison(cells: list[dict[str, Any]], pac: dict[str, Any]) -> dict[str, Any]:
    """Mean absolute error of ctdhub and pac-synth over the cells of the release's published tables.

    pac-synth's answer for a cell is post-processing of its DP aggregates, as a CTDC user would compute it:
    the aggregate over the cell's columns (a flag of a family: that flag = 1), summed over the countries
    of a region or sub-region; an unreported combination is 0. Cells pac-synth cannot answer are left
    out: an "Unknown" value or a family's "(any information)" (pac-synth counts no empty value), or a
    column it was not fit on. ctdhub's figure is the published estimate.
    """
    from ctdhub.standard import load_standard

    aggregates = _pac_aggregates(pac)
    index: PacIndex = {}
    for combo, count in aggregates.items():
        parts = dict(p.split(":", 1) for p in combo.split("|"))
        index.setdefault(frozenset(parts), []).append((parts, float(count)))
    from ctdhub.geo import resolver

    families = {f.name for f in load_standard().families}
    regions = {r["iso3"]: r for r in resolver().region_rows()}
    answers: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[tuple[str, ...], float]] = {}
    rows: list[tuple[int, float, float, float]] = []  # way, true, ctdhub, pac-synth
    for c in cells:
        dims, key = tuple(c["dims"]), tuple(c["key"])
        cols = _pac_columns(dims, key, families, set(pac["fields"]))
        if cols is None:
            continue
        if (dims, cols) not in answers:
            answers[(dims, cols)] = _pac_table(index, dims, cols, families, regions)
        rows.append((c["way"], c["true"], c["est"], answers[(dims, cols)].get(key, 0.0)))
    arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
    way, true = arr[:, 0], arr[:, 1]
    scopes = {"cells of every published table": _mae(arr, np.ones(len(arr), dtype=bool))}
    for k in sorted({int(x) for x in way}):
        scopes[f"{k}-way tables"] = _mae(arr, way == k)
    scopes["cells with ≥ 100 cases"] = _mae(arr, true >= 100)
    scopes["cells with ≥ 1,000 cases"] = _mae(arr, true >= 1000)
    return {"scopes": scopes, "cells_left_out": len(cells) - len(arr)}


def _pac_columns(
    dims: tuple[str, ...], key: tuple[str, ...], families: set[str], fields: set[str]
) -> tuple[str, ...] | None:
    """The pac-synth columns a table cell is counted over, or None when pac-synth cannot answer it."""
    from ctdhub.standard.dimensions import ANY_INFO, GEO_DIMS, UNKNOWN

    if not dims or any(v in (UNKNOWN, ANY_INFO) for v in key):
        return None
    cols = tuple(v if d in families else GEO_DIMS.get(d, (d, ""))[0] for d, v in zip(dims, key, strict=True))
    return cols if set(cols) <= fields and len(set(cols)) == len(cols) else None


def _pac_table(
    index: PacIndex,
    dims: tuple[str, ...],
    cols: tuple[str, ...],
    families: set[str],
    regions: dict[str, dict[str, Any]],
) -> dict[tuple[str, ...], float]:
    """pac-synth's cells of one table (one flag per family dimension), keyed like the table's cells."""
    from ctdhub.standard.dimensions import GEO_DIMS

    def label(d: str, c: str, v: str) -> str:
        if d in families:
            return c if v == "1" else ""
        if d in GEO_DIMS:
            return str((regions.get(v) or {}).get(GEO_DIMS[d][1]) or "")
        return v

    out: dict[tuple[str, ...], float] = {}
    for parts, count in index.get(frozenset(cols), []):
        key = tuple(label(d, c, parts[c]) for d, c in zip(dims, cols, strict=True))
        out[key] = out.get(key, 0.0) + count
    return out


def _mae(arr: np.ndarray, sel: np.ndarray) -> dict[str, Any]:
    """MAE of ctdhub (column 2) and pac-synth (column 3) against the truth (column 1) over ``sel``."""
    part = arr[sel]
    if not len(part):
        return {"cells": 0}
    ours = float(np.abs(part[:, 2] - part[:, 1]).mean())
    theirs = float(np.abs(part[:, 3] - part[:, 1]).mean())
    return {"cells": len(part), "ctdhub_mae": ours, "pacsynth_mae": theirs, "ratio": ours / theirs}


def _dense(codes: dict[str, np.ndarray], attrs: tuple[str, ...], shape: tuple[int, ...]) -> np.ndarray:
    key = np.zeros(len(codes[attrs[0]]), dtype=np.int64)
    for a, n in zip(attrs, shape, strict=True):
        key = key * n + codes[a]
    return np.bincount(key, minlength=int(np.prod(shape))).reshape(shape).astype(np.float64)


# ------------------------------------------------------------------------------------------ c. regions


def region_figures(rel: dict[str, Any]) -> dict[str, Any]:
    """The named region figures, and every region × single year (both sides) with ≥ 500 cases, through
    ``stats()`` against the exact counts."""
    from ctdhub.publish.stats import Filters, stats
    from ctdhub.standard.dimensions import UNKNOWN, YEAR

    view = _view(rel)
    sides = ("citizenship_region", "exploitation_region")
    exact = dict(zip(sides, _exact_tables(rel["snapshot"], [(s, YEAR) for s in sides]), strict=True))

    def true_count(side: str, region: str, y0: int, y1: int) -> int:
        return sum(
            n for (r, y), n in exact[side].items() if r == region and y.isdigit() and y0 <= int(y) <= y1
        )

    def figure(side: str, region: str, y0: int, y1: int) -> dict[str, Any]:
        res = stats(view, [], Filters(**{side: (region,)}, year_from=y0, year_to=y1))
        cell = res.cells[0] if res.cells else {"estimate": 0, "lower": 0, "upper": 0}
        true = true_count(side, region, y0, y1)
        rel_err = abs(cell["estimate"] - true) / true if true else None
        return {
            "true": true,
            "estimate": cell["estimate"],
            "lower": cell["lower"],
            "upper": cell["upper"],
            "rel_error": rel_err,
            "target": _region_target(true),
            "met": None
            if rel_err is None or _region_target(true) is None
            else rel_err <= _region_target(true),
            "source": res.table,
        }

    named = [
        {"figure": label, **figure(side, region, y0, y1)} for label, side, region, y0, y1 in REGION_FIGURES
    ]
    sweep = []
    for side in sides:
        for (region, year), n in exact[side].items():
            if region != UNKNOWN and year.isdigit() and n >= 500:
                sweep.append(
                    {
                        "side": side,
                        "region": region,
                        "year": int(year),
                        **figure(side, region, int(year), int(year)),
                    }
                )
    return {
        "named": named,
        "sweep": {
            "figures": len(sweep),
            "met": sum(bool(s["met"]) for s in sweep),
            "max_rel_error": max((s["rel_error"] for s in sweep), default=None),
            "coverage": sum(s["lower"] <= s["true"] <= s["upper"] for s in sweep) / len(sweep)
            if sweep
            else None,
            "worst": sorted(sweep, key=lambda s: s["rel_error"] / s["target"], reverse=True)[:3],
        },
    }


def _region_target(true: int) -> float | None:
    return 0.01 if true >= 5000 else 0.05 if true >= 500 else None


# -------------------------------------------------------------------------------------------------- run


def run(quick: bool = False) -> dict[str, Any]:
    skipped = common.ctdc_skipped("accuracy")
    if skipped:
        return skipped
    rel = common.ctdc_release(quick)
    print("[bench.accuracy] a. table cells ...", file=sys.stderr, flush=True)
    every_cell = table_cells(rel)
    cells = table_summary(every_cell)
    print("[bench.accuracy] c. region figures ...", file=sys.stderr, flush=True)
    regions = region_figures(rel)
    pac = common.pacsynth_ctdc(rel, quick)
    if "timeout" in pac:
        versus: dict[str, Any] = {"timeout": pac["timeout"], "fields": pac["fields"]}
    else:
        print("[bench.accuracy] b. beside pac-synth ...", file=sys.stderr, flush=True)
        versus = pacsynth_comparison(rel, pac) | {
            "tables": pacsynth_table_comparison(every_cell, pac),
            "pacsynth": {k: v for k, v in pac.items() if k != "dir"},
        }
    result = {
        "quick": quick,
        "release": {k: v for k, v in rel.items() if k not in ("releases_dir", "path", "snapshot", "fields")},
        "tables": cells,
        "pacsynth": versus,
        "regions": regions,
    }
    result["targets"] = targets(result)
    return result


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    check = not r["quick"]
    a = r["tables"]["all"]
    out = []
    p95, med = a["p95_rel_ge_1000"], a["median_rel_ge_100"]
    out.append(
        target("a. table cells ≥ 1,000: p95 relative error ≤ 2 %", _pct(p95), within(check, p95, 0.02))
    )
    out.append(
        target("a. table cells ≥ 100: median relative error ≤ 3 %", _pct(med), within(check, med, 0.03))
    )
    out.append(target("a. interval coverage (90 % intervals), all cells", _pct(a["coverage"]), None))
    scope = r["pacsynth"].get("tables", {}).get("scopes", {}).get("cells of every published table")
    if scope:
        out.append(
            target(
                "b. MAE ctdhub ≤ 1/3 of pac-synth's (cells of every published table)",
                f"{scope['ctdhub_mae']:.1f} vs {scope['pacsynth_mae']:.1f} (ratio {scope['ratio']:.3f})",
                within(check, scope["ratio"], MAE_RATIO_TARGET),
            )
        )
    else:
        out.append(target("b. MAE ctdhub ≤ 1/3 of pac-synth's", "pac-synth did not finish", None))
    for f in r["regions"]["named"]:
        tgt = f["target"]
        out.append(
            target(
                f"c. {f['figure']} within {tgt:.0%}" if tgt else f"c. {f['figure']}",
                f"{f['estimate']:,} vs {f['true']:,} ({_pct(f['rel_error'])})",
                within(check, f["rel_error"], tgt),
            )
        )
    return out


def _mae_table(scopes: dict[str, Any]) -> list[str]:
    lines = ["| cells | n | ctdhub MAE | pac-synth MAE | ratio |", "|---|---:|---:|---:|---:|"]
    for name, s in scopes.items():
        if s["cells"]:
            lines.append(
                f"| {name} | {s['cells']:,} | {s['ctdhub_mae']:.2f} | {s['pacsynth_mae']:.2f} | {s['ratio']:.3f} |"
            )
    return lines


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f} %"


def markdown(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"## {TITLE}\n\n{r['skipped']}."
    rel = r["release"]
    p = rel["privacy"]
    lines = [
        f"## {TITLE}",
        "",
        f"`{rel['source']}` ({rel['rows']:,} rows × {len(r['pacsynth'].get('fields', [])) or 37} columns) ingested with the "
        f"built-in spec `ctdc-synthetic` ({rel['ingest_seconds']} s), released by `release create` with the default "
        f"policy: ε = {p['epsilon']:g}, δ = {p['delta']:g} (ρ = {p['rho']:.4f}), {p['noise']}, {p['measurements']} "
        f"measurements; {rel['aggregates']['tables']} tables, {rel['aggregates']['cells']:,} cells, "
        f"{rel['model_records']:,} model records; built in {rel['release_seconds']} s. Every figure is compared "
        "with the exact count of the same snapshot (same dimensions, same counting code). One release, one "
        "draw of the noise." + (" **Quick run (sampled rows): no target is checked.**" if r["quick"] else ""),
        "",
        *common.targets_line(r["targets"]),
        "",
        "### a. Every cell of every published table",
        "",
        "Cells: every cell with cases or an estimate (a cell not listed is an estimate of 0, its interval from "
        "`model.json`). Relative error = |estimate − exact| / exact.",
        "",
        "| tables | cells | cells ≥ 100 | median rel. error (≥ 100) | cells ≥ 1,000 | p95 rel. error (≥ 1,000) "
        "| max (≥ 1,000) | coverage (all) | coverage (≥ 100) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in r["tables"].items():
        if name == "worst_ge_1000":
            continue
        lines.append(
            f"| {name} | {s['cells']:,} | {s['cells_ge_100']:,} | {_pct(s['median_rel_ge_100'])} | "
            f"{s['cells_ge_1000']:,} | {_pct(s['p95_rel_ge_1000'])} | {_pct(s['max_rel_ge_1000'])} | "
            f"{_pct(s['coverage'])} | {_pct(s['coverage_ge_100'])} |"
        )
    worst = r["tables"]["worst_ge_1000"]
    if worst:
        lines += [
            "",
            "Largest relative errors among cells ≥ 1,000: "
            + "; ".join(
                f"{w['table']} ({w['way']}-way) {w['est']:,} vs {w['true']:,} [{w['lo']:,}, {w['hi']:,}]"
                for w in worst
            )
            + ".",
        ]
    lines += ["", "### b. Beside pac-synth (CTDC's engine), same ε and δ", ""]
    v = r["pacsynth"]
    if "timeout" in v:
        lines.append(f"pac-synth did not finish within {v['timeout']} s on {len(v['fields'])} columns.")
    else:
        ps = v["pacsynth"]
        narrow = (
            f" The 37 columns did not finish within {ps['full_timeout']} s; pac-synth was fit on these "
            f"{len(v['fields'])}: {', '.join(v['fields'])}."
            if "full_timeout" in ps
            else ""
        )
        lines += [
            f"pac-synth 0.0.8 `DpAggregateSeededSynthesizer`, reporting length 3, ε = 4, δ = 1e-6, default "
            f"settings, on the {len(v['fields'])} columns of the snapshot (flags as '1' / empty, CTDC's own "
            f"layout): fit {ps['fit_seconds']:.0f} s, {ps['aggregates']:,} DP aggregates, peak "
            f"{ps['peak_rss_mb']:.0f} MB.{narrow}",
            "",
            "**The target's cells: every cell of every published table** that pac-synth can answer. pac-synth's "
            "figure is post-processing of its aggregates, as a CTDC user would compute it: the aggregate over the "
            "cell's columns (a flag of a family: that flag = 1), summed over the countries of a region or "
            'sub-region, an unreported combination counting 0. Left out: cells with an "Unknown" value or a '
            'family\'s "(any information)" (pac-synth counts no empty value) and the total '
            f"({v['tables']['cells_left_out']:,} cells). ctdhub's figure is the published estimate.",
            "",
            *_mae_table(v["tables"]["scopes"]),
            "",
            "**Beyond the target: any 1- or 2-way combination of the 37 columns.** Cells: every combination of "
            "known values that the data holds or either engine reports; ctdhub's figure is the count of the "
            "release's model records (what `/api/v1/stats` answers for a combination no table holds).",
            "",
            *_mae_table(v["scopes"]),
        ]
        pub = v["scopes"].get("cells of the release's own 1- and 2-way tables", {})
        out = v["scopes"].get("2-way cells outside the release's tables", {})
        if pub.get("cells") and out.get("cells") and out["ratio"] > 1:
            lines += [
                "",
                f"On combinations the release's workload measures ctdhub's MAE is {pub['ratio']:.2f} of "
                "pac-synth's. On 2-way combinations it does not measure (pac-synth measures every 1- to 3-way "
                "combination of its columns; ctdhub spends its budget on the published tables), the model's "
                f"records carry the model's structure alone: ratio {out['ratio']:.2f} there. Such figures are "
                "marked *modelled* wherever they are shown (their interval covers the noise, not the model).",
            ]
    g = r["regions"]
    lines += [
        "",
        "### c. Region-level figures (`publish.stats.stats`, as the API answers them)",
        "",
        "| figure | exact | estimate | 90 % interval | rel. error | target | answered from |",
        "|---|---:|---:|---|---:|---|---|",
    ]
    for f in g["named"]:
        tgt = f"≤ {f['target']:.0%}" if f["target"] else "–"
        lines.append(
            f"| {f['figure']} | {f['true']:,} | {f['estimate']:,} | [{f['lower']:,}, {f['upper']:,}] | "
            f"{_pct(f['rel_error'])} | {tgt} | {f['source']} |"
        )
    s = g["sweep"]
    if s["figures"]:
        lines += [
            "",
            f"All region × single-year figures with ≥ 500 cases (citizenship and exploitation side, "
            f"{s['figures']}): {s['met']} within their target (1 % from 5,000, 5 % from 500), largest relative "
            f"error {_pct(s['max_rel_error'])}, exact count inside the interval for {_pct(s['coverage'])}. "
            "Furthest from target: "
            + "; ".join(
                f"{w['side']} {w['region']} {w['year']}: {w['estimate']:,} vs {w['true']:,} ({_pct(w['rel_error'])})"
                for w in s["worst"]
            )
            + ".",
        ]
    lines += ["", common.SHARED_NOTE]
    return "\n".join(lines)
