"""`release create`: build an immutable, numbered release from the store in one step.

The store is read once, into a restricted snapshot (Parquet) kept beside the release and never listed among
its public resources. Everything public — k-anonymised microdata, DP synthetic microdata, protected
aggregate tables, the report, the dictionary — is computed from that snapshot in a separate in-memory
DuckDB, written into a temporary directory and moved into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ctdhub import __version__
from ctdhub.errors import CtdhubError
from ctdhub.release.aggregates import build_aggregates
from ctdhub.release.audit import audit_kanon, audit_tables
from ctdhub.release.diff import diff_markdown, release_diff
from ctdhub.release.encode import decode, domains_for, encode
from ctdhub.release.files import MEDIATYPES, copy_table, sha256_of, write_xlsx
from ctdhub.release.kanon import k_anonymise
from ctdhub.release.policy import Policy, load_policy
from ctdhub.release.registry import RESTRICTED_DIR, list_releases, next_release_id, read_manifest
from ctdhub.release.report import build_report, report_html
from ctdhub.release.synthetic import synthesize
from ctdhub.release.synthetic.fidelity import (
    exact_unique_copies,
    marginal_tvd,
    mean_abs_count_error,
    rare_combination_reproduction,
)
from ctdhub.sql import qi, ql
from ctdhub.standard import STANDARD_VERSION, Standard, load_standard
from ctdhub.standard.export_markdown import markdown as dictionary_markdown
from ctdhub.standard.export_table_schema import table_schema
from ctdhub.store import Hub

Progress = Callable[[str], None]
STAGES = ("snapshot", "kanon", "aggregates", "synthetic", "files")


@dataclass
class ReleaseOutcome:
    release_id: str
    path: Path
    manifest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"release_id": self.release_id, "path": str(self.path), **self.manifest}


def _snapshot(con: duckdb.DuckDBPyConnection, policy: Policy, tmp: Path) -> tuple[int, list[dict[str, Any]]]:
    """Copy the harmonised records (and their batches) into the restricted part of the release."""
    restricted = tmp / RESTRICTED_DIR
    restricted.mkdir(parents=True)
    where = (
        f"WHERE contributor IN ({', '.join(ql(c) for c in policy.contributors)})"
        if policy.contributors
        else ""
    )
    con.execute(
        f"COPY (SELECT * FROM cases {where} ORDER BY case_id) TO {ql(str(restricted / 'snapshot.parquet'))} "
        "(FORMAT parquet, COMPRESSION zstd)"
    )
    con.execute(
        "COPY (SELECT f.* FROM batch_fields f JOIN batches b USING (batch_id) WHERE b.status = 'active') "
        f"TO {ql(str(restricted / 'batch_fields.parquet'))} (FORMAT parquet)"
    )
    rel = con.execute(
        "SELECT batch_id, contributor, file_name, file_sha256, mapping, mapping_version, standard_version, "
        f"CAST(created_at AS VARCHAR) AS created_at, rows_stored FROM batches WHERE status = 'active' "
        f"{'AND contributor IN (' + ', '.join(ql(c) for c in policy.contributors) + ')' if policy.contributors else ''} "
        "ORDER BY created_at"
    )
    names = [d[0] for d in rel.description]
    batches = [dict(zip(names, r, strict=True)) for r in rel.fetchall()]
    n = con.execute(f"SELECT count(*) FROM cases {where}").fetchone()
    count = int(n[0]) if n else 0
    if count == 0:
        raise CtdhubError("The store holds no cases to release.", hint="Ingest files first: ctdhub ingest.")
    return count, batches


def _synthetic(con: duckdb.DuckDBPyConnection, std: Standard, policy: Policy) -> tuple[dict[str, Any], str]:
    fields = list(std.field_names)
    domains = domains_for(std, fields)
    real = encode(con, "snap", domains)
    sizes = {k: d.size for k, d in domains.items()}
    result = synthesize(real, sizes, epsilon=policy.epsilon, delta=policy.delta, seed=policy.seed)
    con.register("_synth_arrow", decode(result.columns, domains, std))
    con.execute("CREATE TABLE synthetic AS SELECT * FROM _synth_arrow")
    con.unregister("_synth_arrow")
    qis = [q for q in policy.quasi_identifiers if q in real]
    fidelity = {
        "tvd_1way": marginal_tvd(real, result.columns, sizes, 1),
        "tvd_2way": marginal_tvd(real, result.columns, sizes, 2),
        "tvd_3way": marginal_tvd(real, result.columns, sizes, 3, max_sets=1500),
        "tvd_3way_sets": "1,500 random 3-way marginals",
        "mean_abs_count_error_1way": mean_abs_count_error(real, result.columns, sizes, 1),
        "rare": rare_combination_reproduction(real, result.columns, qis, policy.k),
        "unique_copies": exact_unique_copies(real, result.columns),
    }
    info = {
        "rows": result.n_rows,
        "epsilon": result.epsilon,
        "delta": result.delta,
        "rho": result.rho,
        "ledger": result.ledger,
        "tree": [list(e) for e in result.tree],
        "seconds": round(result.seconds, 2),
        "fidelity": fidelity,
    }
    return info, "synthetic"


def _write_table(
    con: duckdb.DuckDBPyConnection, table: str, name: str, out: Path, formats: tuple[str, ...]
) -> dict[str, str]:
    paths: dict[str, str] = {}
    for fmt in formats:
        if fmt == "xlsx":
            p = write_xlsx(con, {name: table}, out / "data" / f"{name}.xlsx")
            if p is not None:
                paths["xlsx"] = f"data/{name}.xlsx"
        else:
            copy_table(con, table, out / "data" / f"{name}.{fmt}", fmt)
            paths[fmt] = f"data/{name}.{fmt}"
    return paths


def _field_schema(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    types = {
        "VARCHAR": "string",
        "BIGINT": "integer",
        "INTEGER": "integer",
        "SMALLINT": "integer",
        "TINYINT": "integer",
        "BOOLEAN": "boolean",
        "DOUBLE": "number",
        "HUGEINT": "integer",
    }
    cols = con.execute(f"DESCRIBE {qi(table)}").fetchall()
    return {"fields": [{"name": c[0], "type": types.get(str(c[1]), "string")} for c in cols]}


def create_release(
    hub: Hub, policy_path: str | Path | None = None, *, progress: Progress | None = None
) -> ReleaseOutcome:
    """Build the next release of `hub` under the policy; return its id, path and manifest."""
    step = progress or (lambda _s: None)
    std = load_standard()
    policy = load_policy(policy_path, std)
    started = time.perf_counter()
    hub.releases_dir.mkdir(parents=True, exist_ok=True)
    with hub.writer() as wcon:  # one writer: releases are numbered and built one at a time
        release_id = next_release_id(hub.releases_dir)
        tmp = hub.releases_dir / f".building-{release_id}"
        if tmp.exists():
            shutil.rmtree(tmp)
        try:
            step("snapshot")
            cases, batches = _snapshot(wcon, policy, tmp)
            manifest = _build(tmp, release_id, std, policy, cases, batches, hub, step)
            manifest["seconds"] = round(time.perf_counter() - started, 2)
            (tmp / "release.json").write_text(
                json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
            )
            _checksums(tmp)
            final = hub.releases_dir / release_id
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return ReleaseOutcome(release_id, final, manifest)


def _build(
    out: Path,
    release_id: str,
    std: Standard,
    policy: Policy,
    cases: int,
    batches: list[dict[str, Any]],
    hub: Hub,
    step: Progress,
) -> dict[str, Any]:
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    snap = out / RESTRICTED_DIR / "snapshot.parquet"
    con.execute(f"CREATE TABLE snap AS SELECT * FROM read_parquet({ql(str(snap))})")
    resources: list[dict[str, Any]] = []

    def add(
        name: str, paths: dict[str, str], role: str, title: str, schema: dict[str, Any] | None = None
    ) -> None:
        main = paths.get("csv") or next(iter(paths.values()))
        fmt = main.rsplit(".", 1)[-1]
        res: dict[str, Any] = {
            "name": name,
            "path": main,
            "format": fmt,
            "mediatype": MEDIATYPES[fmt],
            "title": title,
            "ctdhub:role": role,
        }
        if schema:
            res["schema"] = schema
        alternates = {k: v for k, v in paths.items() if v != main}
        if alternates:
            res["ctdhub:alternates"] = alternates
        resources.append(res)

    kanon_info: dict[str, Any] | None = None
    step("kanon")
    if policy.kanon_enabled:
        kr = k_anonymise(
            con,
            "snap",
            out="kanon_full",
            k=policy.k,
            quasi_identifiers=list(policy.quasi_identifiers),
            max_suppression=policy.max_suppression,
            std=std,
        )
        bad = audit_kanon(con, "kanon_full", list(policy.quasi_identifiers), policy.k)
        if bad:
            raise CtdhubError(
                f"The k-anonymised table failed the independent check: {bad[0]}; no release was written."
            )
        field_cols = ", ".join(qi(f) for f in std.field_names if f in _columns(con, "kanon_full"))
        con.execute(f"CREATE TABLE kanon AS SELECT {field_cols} FROM kanon_full")
        kanon_info = {
            "k": kr.k,
            "k_achieved": kr.k_achieved,
            "quasi_identifiers": kr.quasi_identifiers,
            "levels": kr.levels,
            "level_names": kr.level_names,
            "rows_in": kr.rows_in,
            "rows_out": kr.rows_out,
            "rows_suppressed": kr.rows_suppressed,
            "information_loss": kr.information_loss,
            "candidates_evaluated": kr.candidates_evaluated,
        }
        add(
            "kanon",
            _write_table(con, "kanon", "kanon", out, policy.formats),
            "microdata-kanon",
            f"k-anonymised microdata (k = {policy.k})",
            _field_schema(con, "kanon"),
        )
    step("aggregates")
    tables = build_aggregates(con, "snap", threshold=policy.threshold, rounding=policy.rounding, std=std)
    violations = audit_tables(
        con, tables, policy.threshold
    )  # independent re-check before anything is written
    if violations:
        raise CtdhubError(
            f"The aggregate tables failed the disclosure audit ({len(violations)} problem(s), first: "
            f"{violations[0]}); no release was written."
        )
    agg_info: dict[str, Any] = {"tables": len(tables), "cells": 0, "primary": 0, "secondary": 0, "list": []}
    for t in tables:
        agg_info["cells"] += t.cells
        agg_info["primary"] += t.primary
        agg_info["secondary"] += t.secondary
        agg_info["list"].append(
            {
                "name": t.name,
                "dims": list(t.dims),
                "cells": t.cells,
                "primary": t.primary,
                "secondary": t.secondary,
            }
        )
        rname = t.name.lower()  # Data Package names are lower case
        # `reason` (primary/secondary) is for the data team only: knowing it narrows suppressed cells
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {qi('pub_' + t.table)} AS SELECT * EXCLUDE (reason) FROM {qi(t.table)}"
        )
        paths = _write_table(
            con, "pub_" + t.table, rname, out, tuple(f for f in policy.formats if f != "xlsx")
        )
        add(
            rname,
            paths,
            "aggregate",
            "Counts by " + (", ".join(t.dims) or "total"),
            _field_schema(con, "pub_" + t.table) | {"ctdhub:dims": list(t.dims)},
        )
    if "xlsx" in policy.formats:
        sheets = {f"T{i + 1:03d}": "pub_" + t.table for i, t in enumerate(tables)}
        con.execute(
            "CREATE TABLE agg_index AS SELECT * FROM (VALUES "
            + ", ".join(
                f"({ql(s)}, {ql(t.name)}, {ql(', '.join(t.dims))})"
                for s, t in zip(sheets, tables, strict=True)
            )
            + ") v(sheet, table_name, dimensions)"
        )
        write_xlsx(con, {"index": "agg_index", **sheets}, out / "data" / "aggregates.xlsx")
        add(
            "aggregates-xlsx",
            {"xlsx": "data/aggregates.xlsx"},
            "aggregate-workbook",
            "All aggregate tables in one workbook (sheet index first)",
        )
    synth_info: dict[str, Any] | None = None
    step("synthetic")
    if policy.synthetic_enabled:
        synth_info, table = _synthetic(con, std, policy)
        add(
            "synthetic",
            _write_table(con, table, "synthetic", out, policy.formats),
            "microdata-synthetic",
            f"Differentially private synthetic microdata (ε = {policy.epsilon:g}, δ = {policy.delta:g})",
            _field_schema(con, table),
        )
    step("files")
    previous = _previous(hub, release_id)
    diff = release_diff(
        con,
        snap,
        previous[0] / RESTRICTED_DIR / "snapshot.parquet" if previous else None,
        previous_id=previous[1]["release_id"] if previous else None,
        threshold=policy.threshold,
        current_batches=batches,
        previous_batches=previous[1]["store_state"]["batches"] if previous else [],
        current_standard=STANDARD_VERSION,
        previous_standard=previous[1]["standard_version"] if previous else None,
    )
    policy_dict = policy.as_dict()
    report = build_report(
        release_id=release_id,
        created_at=created,
        policy=policy_dict,
        cases=cases,
        kanon=kanon_info,
        aggregates=agg_info,
        synthetic=synth_info,
    )
    texts = {
        "report.json": json.dumps(report, indent=2, default=str) + "\n",
        "report.html": report_html(report),
        "diff.json": json.dumps(diff, indent=2, default=str) + "\n",
        "dictionary.md": dictionary_markdown(std),
        "schema.json": json.dumps(table_schema(std), indent=2) + "\n",
        "LICENCE.txt": policy.licence + "\n",
        "CITATION.txt": _citation(policy, release_id, created),
        "CHANGELOG.md": _changelog(release_id, created, cases, batches, diff),
    }
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    for name, path, role, title in [
        ("report", "report.json", "report", "Privacy and utility report (JSON)"),
        ("report-html", "report.html", "report", "Privacy and utility report"),
        ("diff", "diff.json", "diff", "Changes since the previous release"),
        ("dictionary", "dictionary.md", "dictionary", "Data dictionary of the standard"),
        ("table-schema", "schema.json", "dictionary", "Table Schema of the standard"),
        ("licence", "LICENCE.txt", "licence", "Licence"),
        ("citation", "CITATION.txt", "citation", "How to cite"),
        ("changelog", "CHANGELOG.md", "changelog", "Release notes"),
    ]:
        add(name, {path.rsplit(".", 1)[-1]: path}, role, title)
    for res in resources:
        for rel in [res["path"], *res.get("ctdhub:alternates", {}).values()]:
            p = out / rel
            if rel == res["path"]:
                res["bytes"] = p.stat().st_size
                res["hash"] = "sha256:" + sha256_of(p)
    datapackage = {
        "profile": "data-package",
        "name": f"ctdhub-release-{release_id}",
        "id": release_id,
        "title": policy.title,
        "description": policy.description or "Protected release of harmonised counter-trafficking case data.",
        "created": created,
        "version": release_id,
        "licenses": [{"name": "CC-BY-4.0", "title": policy.licence}],
        "contributors": [
            {"title": c, "role": "contributor"} for c in sorted({b["contributor"] for b in batches})
        ],
        "resources": resources,
    }
    (out / "datapackage.json").write_text(
        json.dumps(datapackage, indent=2, default=str) + "\n", encoding="utf-8"
    )
    years = con.execute("SELECT min(yearOfRegistration), max(yearOfRegistration) FROM snap").fetchone()
    return {
        "release_id": release_id,
        "created_at": created,
        "status": "published",
        "ctdhub_version": __version__,
        "standard_version": STANDARD_VERSION,
        "policy": policy_dict,
        "policy_sha256": policy.sha256,
        "store_state": {
            "cases": cases,
            "batches": batches,
            "contributors": sorted({b["contributor"] for b in batches}),
            "years": list(years) if years else None,
        },
        "resources": [r["name"] for r in resources],
        "kanon": kanon_info,
        "aggregates": {k: v for k, v in agg_info.items() if k != "list"},
        "synthetic": {
            k: v for k, v in (synth_info or {}).items() if k in ("rows", "epsilon", "delta", "fidelity")
        },
        "previous_release": diff.get("previous_release"),
    }


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE {qi(table)}").fetchall()}


def _previous(hub: Hub, release_id: str) -> tuple[Path, dict[str, Any]] | None:
    earlier = [
        r for r in list_releases(hub.releases_dir, include_withdrawn=True) if r["release_id"] < release_id
    ]
    if not earlier:
        return None
    last = earlier[-1]
    path = hub.releases_dir / last["release_id"]
    return path, read_manifest(path)


def _citation(policy: Policy, release_id: str, created: str) -> str:
    if policy.citation:
        return policy.citation.replace("{release}", release_id).replace("{date}", created[:10]) + "\n"
    return (
        f"{policy.publisher} ({created[:4]}). {policy.title}, release {release_id} ({created[:10]}). "
        "Harmonised to the ctdhub case-data standard 1.0 (CTDC codebook field names). "
        "Identified cases of human trafficking, not prevalence estimates.\n"
    )


def _changelog(
    release_id: str, created: str, cases: int, batches: list[dict[str, Any]], diff: dict[str, Any]
) -> str:
    contributors = sorted({b["contributor"] for b in batches})
    return (
        f"# Release {release_id} ({created[:10]})\n\n"
        f"Built from {len(batches)} batch(es) of {len(contributors)} contributor(s): {', '.join(contributors)}.\n\n"
        "## Changes since the previous release\n\n" + diff_markdown(diff)
    )


def _checksums(out: Path) -> None:
    lines = []
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and not rel.startswith(RESTRICTED_DIR + "/"):
            lines.append(f"{sha256_of(p)}  {rel}")
    (out / "checksums.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")
