"""What changed since the previous release: the difference of two differentially private releases.

Computed from the two releases' *public* tables only (never from their snapshots), so it reveals nothing
the two releases do not already publish. Each change carries a 90 % interval, from the two cells'
independent noise: a change whose interval includes 0 may be noise. No file names, no paths, no exact
count of records added.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ctdhub.release.dp.intervals import IntervalModel, Z
from ctdhub.release.estimates import EstimateTable
from ctdhub.release.manifest import ReleaseManifest

# public tables compared, by their dimensions
COMPARED: dict[str, tuple[str, ...]] = {
    "total": (),
    "by_year": ("yearOfRegistration",),
    "by_contributor": ("contributor",),
    "by_exploitation_region": ("exploitation_region",),
}


def _previous_tables(
    path: Path,
) -> dict[tuple[str, ...], tuple[dict[tuple[str, ...], int], float]]:
    import json

    dp = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    out = {}
    for r in dp.get("resources", []):
        dims = tuple(r.get("schema", {}).get("ctdhub:dims", ()))
        if r.get("ctdhub:role") != "aggregate" or dims not in COMPARED.values():
            continue
        pq_path = r.get("ctdhub:alternates", {}).get("parquet") or r["path"]
        if not str(pq_path).endswith(".parquet"):
            continue
        t = pq.read_table(path / pq_path)
        cols = [t.column(d).to_pylist() for d in dims]
        est = t.column("estimate").to_pylist()
        cells = {tuple(str(c[i]) for c in cols): int(est[i]) for i in range(t.num_rows)}
        out[dims] = (cells, float(r.get("schema", {}).get("ctdhub:cell_sd", 0.0)))
    return out


def release_diff(
    previous: tuple[Path, ReleaseManifest] | None,
    intervals: IntervalModel,
    tables: list[EstimateTable],
) -> dict[str, Any]:
    """Changes of the compared tables between the previous release and this one, with intervals."""
    if previous is None:
        return {"previous_release": None, "note": "first release: nothing to compare with"}
    prev_path, prev_manifest = previous
    before = _previous_tables(prev_path)
    now = {t.dims: t for t in tables}
    result: dict[str, Any] = {
        "previous_release": prev_manifest.release_id,
        "interval_level": intervals.level,
        "method": "difference of the two releases' published estimates; interval from both releases' noise",
    }
    for key, dims in COMPARED.items():
        cur = now.get(dims)
        old = before.get(dims)
        if cur is None or old is None:
            continue
        old_cells, old_sd = old
        sd = math.sqrt(cur.sd**2 + old_sd**2)
        rows = []
        for k in sorted(set(cur.cells) | set(old_cells)):
            a, b = old_cells.get(k, 0), cur.cells.get(k, 0)
            change = b - a
            rows.append(
                {
                    **dict(zip(dims, k, strict=True)),
                    "previous": a,
                    "current": b,
                    "change": change,
                    "change_lower": math.floor(change - Z * sd),
                    "change_upper": math.ceil(change + Z * sd),
                }
            )
        result[key] = rows[0] if key == "total" and rows else rows
    prev_c = set(prev_manifest.contributors)
    cur_c = {k[0] for k in now[("contributor",)].cells} if ("contributor",) in now else set()
    result["contributors_added"] = sorted(cur_c - prev_c)
    result["contributors_removed"] = sorted(prev_c - cur_c)
    result["standard"] = {"previous": prev_manifest.standard_version}
    return result


def diff_markdown(d: dict[str, Any]) -> str:
    if d.get("previous_release") is None:
        return "First release: there is no previous release to compare with.\n"
    lines = []
    t = d.get("total")
    if t:
        lines += [
            f"Compared with release {d['previous_release']}: an estimated {t['current']:,} cases "
            f"(previously {t['previous']:,}), a change of {t['change']:+,} "
            f"(90 % interval {t['change_lower']:+,} to {t['change_upper']:+,}).",
            "",
        ]
    for key, title in (("by_year", "year"), ("by_contributor", "contributor")):
        rows = d.get(key) or []
        if rows:
            dim = next(
                iter(
                    k
                    for k in rows[0]
                    if k not in ("previous", "current", "change", "change_lower", "change_upper")
                )
            )
            lines += [f"| {title} | previous | current | change (90 % interval) |", "|---|---:|---:|---|"]
            lines += [
                f"| {r[dim]} | {r['previous']:,} | {r['current']:,} | {r['change']:+,} ({r['change_lower']:+,} to {r['change_upper']:+,}) |"
                for r in rows
            ]
            lines.append("")
    if d.get("contributors_added"):
        lines.append(f"New contributing organisations: {', '.join(d['contributors_added'])}.")
    if d.get("contributors_removed"):
        lines.append(f"No longer contributing: {', '.join(d['contributors_removed'])}.")
    lines.append(
        "Every figure is a differentially private estimate; a change whose interval includes 0 may be noise."
    )
    return "\n".join(lines) + "\n"
