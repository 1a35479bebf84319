"""What changed since the previous release, so a user can see why numbers moved.

Computed from the two releases' restricted snapshots; what is published passes the same threshold as
every aggregate: a count from 1 to threshold−1 is shown as suppressed, never as a number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ctdhub.sql import ql


def _protect(n: int, threshold: int) -> int | None:
    return None if 0 < n < threshold else n


def release_diff(
    con: duckdb.DuckDBPyConnection,
    current: Path,
    previous: Path | None,
    *,
    previous_id: str | None,
    threshold: int,
    current_batches: list[dict[str, Any]],
    previous_batches: list[dict[str, Any]],
    current_standard: str,
    previous_standard: str | None,
) -> dict[str, Any]:
    """Cases added and removed per contributor and year, batches added and removed, standard changes."""
    if previous is None:
        return {"previous_release": None, "note": "first release: nothing to compare with"}
    con.execute(f"CREATE OR REPLACE TEMP VIEW _cur AS SELECT * FROM read_parquet({ql(str(current))})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW _prev AS SELECT * FROM read_parquet({ql(str(previous))})")
    rows = con.execute(
        """
        WITH added AS (SELECT contributor, yearOfRegistration AS year, count(*) AS n FROM _cur
                       WHERE case_id NOT IN (SELECT case_id FROM _prev) GROUP BY ALL),
             removed AS (SELECT contributor, yearOfRegistration AS year, count(*) AS n FROM _prev
                         WHERE case_id NOT IN (SELECT case_id FROM _cur) GROUP BY ALL)
        SELECT coalesce(a.contributor, r.contributor), coalesce(a.year, r.year),
               coalesce(a.n, 0), coalesce(r.n, 0)
        FROM added a FULL JOIN removed r ON a.contributor = r.contributor AND a.year IS NOT DISTINCT FROM r.year
        ORDER BY 1, 2
        """
    ).fetchall()
    totals = con.execute(
        "SELECT (SELECT count(*) FROM _cur WHERE case_id NOT IN (SELECT case_id FROM _prev)), "
        "(SELECT count(*) FROM _prev WHERE case_id NOT IN (SELECT case_id FROM _cur)), "
        "(SELECT count(*) FROM _cur), (SELECT count(*) FROM _prev)"
    ).fetchone()
    assert totals is not None
    cur_ids = {b["batch_id"] for b in current_batches}
    prev_ids = {b["batch_id"] for b in previous_batches}

    def brief(b: dict[str, Any]) -> dict[str, Any]:
        return {k: b[k] for k in ("batch_id", "contributor", "file_name", "mapping", "mapping_version")}

    return {
        "previous_release": previous_id,
        "threshold": threshold,
        "cases": {
            "previous": _protect(int(totals[3]), threshold),
            "current": _protect(int(totals[2]), threshold),
            "added": _protect(int(totals[0]), threshold),
            "removed": _protect(int(totals[1]), threshold),
        },
        "by_contributor_and_year": [
            {
                "contributor": c,
                "year": y,
                "added": _protect(int(a), threshold),
                "removed": _protect(int(r), threshold),
                "suppressed": 0 < int(a) < threshold or 0 < int(r) < threshold,
            }
            for c, y, a, r in rows
        ],
        "batches_added": [brief(b) for b in current_batches if b["batch_id"] not in prev_ids],
        "batches_removed": [brief(b) for b in previous_batches if b["batch_id"] not in cur_ids],
        "standard": {
            "previous": previous_standard,
            "current": current_standard,
            "changed": previous_standard != current_standard,
        },
    }


def diff_markdown(d: dict[str, Any]) -> str:
    if d.get("previous_release") is None:
        return "First release: there is no previous release to compare with.\n"

    def show(v: int | None) -> str:
        return f"<{d['threshold']}" if v is None else f"{v:,}"

    c = d["cases"]
    lines = [
        f"Compared with release {d['previous_release']}: {show(c['added'])} cases added, {show(c['removed'])} removed "
        f"({show(c['previous'])} → {show(c['current'])}).",
        "",
    ]
    if d["by_contributor_and_year"]:
        lines += ["| contributor | year | added | removed |", "|---|---|---:|---:|"]
        lines += [
            f"| {r['contributor']} | {r['year'] or 'unknown'} | {show(r['added'])} | {show(r['removed'])} |"
            for r in d["by_contributor_and_year"]
        ]
        lines.append("")
    for key, title in (("batches_added", "Batches added"), ("batches_removed", "Batches removed")):
        if d[key]:
            lines.append(f"{title}:")
            lines += [
                f"- {b['batch_id']} ({b['contributor']}, {b['file_name']}, mapping {b['mapping']} {b['mapping_version']})"
                for b in d[key]
            ]
            lines.append("")
    if d["standard"]["changed"]:
        lines.append(f"Standard changed from {d['standard']['previous']} to {d['standard']['current']}.")
    return "\n".join(lines) + "\n"
