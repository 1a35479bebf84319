"""`release create`: build an immutable, numbered release from the store in one step.

The store is read once, into a restricted snapshot (Parquet) kept beside the release and never listed among
its public resources. The opt-in k-anonymised records (real records, not differentially private) go to the
release's research folder, for researchers under the data-use terms, never among the public resources.
When records are linked to persons — by the hub's record linkage (table ``persons``: cases sharing a
person_id) or by a person key (cases sharing ``person_key``) — a person is a connected component of those
links, each person's records beyond the policy's ``max_records_per_person`` (lowest case_id first) are
left out of the measurement, and the unit of privacy is the person. That snapshot is measured once with
differential privacy (``ctdhub.release.dp``) and everything public — the model's synthetic records, every
aggregate table with its intervals, the case records and persons of the manifest, the report, the diff
with the previous release — is computed from the measurements alone. The release spends (ε, δ)
from the hub's lifetime budget, recorded in the store's ledger in the same step that makes the release
visible. The build happens in a temporary directory moved into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq

from ctdhub import __version__
from ctdhub.errors import CtdhubError
from ctdhub.release import ledger
from ctdhub.release.aggregates import default_specs
from ctdhub.release.audit import audit_kanon
from ctdhub.release.diff import diff_markdown, release_diff
from ctdhub.release.dp import DPModel, NoiseSource, SecureNoise, build_model
from ctdhub.release.dp.intervals import IntervalModel, interval_model
from ctdhub.release.dp.space import PERSON_RECORDS, Codes, base_domains, decode_table, encode_table
from ctdhub.release.estimates import tabulate, write_table
from ctdhub.release.files import MEDIATYPES, copy_table, sha256_of, write_xlsx
from ctdhub.release.kanon import k_anonymise
from ctdhub.release.manifest import (
    MANIFEST_FILE,
    Aggregates,
    Kanon,
    Lifetime,
    ModelInfo,
    Population,
    Privacy,
    ReleaseManifest,
)
from ctdhub.release.policy import Policy, load_policy
from ctdhub.release.registry import (
    KANON_RESOURCE,
    KANON_ROLE,
    MODEL_FILE,
    RESEARCH_DIR,
    RESTRICTED_DIR,
    RESTRICTED_MANIFEST,
    SYNTHETIC_RESOURCE,
    ResearchFile,
    ResearchProduct,
    list_releases,
    next_release_id,
    write_research,
)
from ctdhub.release.report import build_report, report_html, restricted_report
from ctdhub.sql import qi, ql
from ctdhub.standard import STANDARD_VERSION, Standard, load_standard
from ctdhub.standard.export_markdown import markdown as dictionary_markdown
from ctdhub.standard.export_table_schema import table_schema
from ctdhub.store import Hub
from ctdhub.store.hub import memory_bounded, spill_directory, spilling_connection

Progress = Callable[[str], None]
STAGES = ("snapshot", "measure", "tables", "files")
# DuckDB's memory while building a release (the store's connection during the snapshot, the build's own
# connection after it); beyond it, sorts and tables spill to disk. Arrays in Python come on top.
MEMORY_LIMIT = "2GB"
MODEL_BLOCK = 1 << 20  # model records decoded and written at a time


@dataclass
class ReleaseOutcome:
    release_id: str
    path: Path
    release_manifest: ReleaseManifest  # public: what release.json holds
    restricted: dict[str, Any]  # for the hub's staff only (exact counts, batches)

    @property
    def manifest(self) -> dict[str, Any]:
        """The public manifest as plain JSON data (the content of release.json)."""
        return self.release_manifest.to_json()

    def to_dict(self) -> dict[str, Any]:
        return {
            "release_id": self.release_id,
            "path": str(self.path),
            **self.manifest,
            "restricted": self.restricted,
        }


def _snapshot(con: duckdb.DuckDBPyConnection, policy: Policy, tmp: Path) -> tuple[int, list[dict[str, Any]]]:
    """Copy the harmonised records (and their batches) into the restricted part of the release."""
    restricted = tmp / RESTRICTED_DIR
    restricted.mkdir(parents=True)
    # cases of approved batches only (a contributor's upload waits for the hub team: status 'pending')
    where = "WHERE batch_id IN (SELECT batch_id FROM batches WHERE status = 'active')" + (
        f" AND contributor IN ({', '.join(ql(c) for c in policy.contributors)})"
        if policy.contributors
        else ""
    )
    # the sort by case_id (the snapshot's order: what every later step reads) spills to the store's
    # temporary directory instead of holding millions of records in memory
    with memory_bounded(con, MEMORY_LIMIT):
        _person_units(con, where)
        con.execute(
            f"COPY (SELECT c.*, {', '.join(f'u.{c}' for c in UNIT_COLUMNS)} FROM cases c "
            f"JOIN _person_units u USING (case_id) {where} ORDER BY case_id) "
            f"TO {ql(str(restricted / 'snapshot.parquet'))} (FORMAT parquet, COMPRESSION zstd)"
        )
        con.execute("DROP TABLE _person_units")
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


# what the snapshot carries about each case's person (never the person itself): its rank among the
# person's records (lowest case_id first), the person's records, and the records sharing its linkage
# person_id (NULL: no linkage row)
UNIT_COLUMNS = ("_person_rank", "_person_records", "_linkage_records")


def _person_units(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """TEMP table ``_person_units(case_id, *UNIT_COLUMNS)`` over the cases ``where`` selects.

    A person is a connected component of the cases linked by the linkage's ``persons.person_id`` or by
    ``cases.person_key`` (either may be missing: a store before linkage or person keys). Components come
    from label propagation in SQL: every linked case starts with its own case_id as label, and each round
    gives every case the lowest label among the cases it shares a person_id or a person key with, until no
    label changes (a few rounds: as many as the longest chain of links). Cases linked to no other are
    persons of their own. The labels stay in this connection's temporary tables, dropped here."""
    cols = {r[0] for r in con.execute("DESCRIBE cases").fetchall()}
    key = "person_key" if "person_key" in cols else "CAST(NULL AS VARCHAR)"
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'persons'"
    ).fetchone()
    has_persons = bool(found and found[0])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _pu_cases AS SELECT case_id, {key} AS person_key FROM cases {where}"
    )
    linkage = (
        "SELECT p.case_id, p.person_id FROM persons p WHERE p.case_id IN (SELECT case_id FROM _pu_cases)"
        if has_persons
        else "SELECT CAST(NULL AS VARCHAR) AS case_id, CAST(NULL AS VARCHAR) AS person_id WHERE false"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _pu_linkage AS {linkage}")
    # one relation of (case, group) for both kinds of link; a group is a person key or a person_id
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _pu_links AS "
        "SELECT case_id, 'k:' || person_key AS grp FROM _pu_cases WHERE person_key IS NOT NULL "
        "UNION ALL SELECT case_id, 'p:' || person_id FROM _pu_linkage"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _pu_label AS SELECT DISTINCT case_id, case_id AS label FROM _pu_links"
    )
    while True:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _pu_next AS "
            "WITH g AS (SELECT l.grp, min(b.label) AS label FROM _pu_links l JOIN _pu_label b USING (case_id) "
            "GROUP BY l.grp) "
            "SELECT l.case_id, least(b.label, min(g.label)) AS label FROM _pu_links l "
            "JOIN g USING (grp) JOIN _pu_label b USING (case_id) GROUP BY l.case_id, b.label"
        )
        changed = con.execute(
            "SELECT count(*) FROM _pu_next n JOIN _pu_label b USING (case_id) WHERE n.label <> b.label"
        ).fetchone()
        con.execute("CREATE OR REPLACE TEMP TABLE _pu_label AS SELECT * FROM _pu_next")
        if not changed or not changed[0]:
            break
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _person_units AS "
        "SELECT c.case_id, "
        "row_number() OVER (PARTITION BY coalesce(l.label, c.case_id) ORDER BY c.case_id) AS _person_rank, "
        "count(*) OVER (PARTITION BY coalesce(l.label, c.case_id)) AS _person_records, "
        "k.n AS _linkage_records "
        "FROM _pu_cases c LEFT JOIN _pu_label l USING (case_id) "
        "LEFT JOIN (SELECT case_id, count(*) OVER (PARTITION BY person_id) AS n FROM _pu_linkage) k "
        "USING (case_id)"
    )
    for t in ("_pu_cases", "_pu_linkage", "_pu_links", "_pu_label", "_pu_next"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


HUB_POLICY = "policy.yaml"  # the hub's release policy, in the store directory (used when none is given)


def hub_policy_path(hub: Hub) -> Path | None:
    """The hub's own release policy (``policy.yaml`` in the store directory), if it has one."""
    path = hub.path / HUB_POLICY
    return path if path.is_file() else None


def create_release(
    hub: Hub,
    policy_path: str | Path | None = None,
    *,
    progress: Progress | None = None,
    noise: NoiseSource | None = None,
    seed: int | None = None,
) -> ReleaseOutcome:
    """Build the next release of ``hub`` under the policy; return its id, path and manifests. Without
    ``policy_path``, the hub's own policy (``policy.yaml`` in the store directory) when it has one, else
    the built-in default.

    ``noise`` and ``seed`` exist for tests (repeatable noise); a release built for publication uses
    OpenDP's secure sampler and a post-processing generator seeded from the operating system.
    """
    step = progress or (lambda _s: None)
    std = load_standard()
    policy = load_policy(policy_path if policy_path is not None else hub_policy_path(hub), std)
    started = time.perf_counter()
    hub.releases_dir.mkdir(parents=True, exist_ok=True)
    source = noise or SecureNoise()
    rng = np.random.default_rng(secrets.randbits(128) if seed is None else seed)
    with hub.writer() as wcon:  # one writer: releases are numbered and built one at a time
        budget = ledger.check(
            wcon, epsilon=policy.epsilon, delta=policy.delta, lifetime_epsilon=policy.lifetime_epsilon
        )
        release_id = next_release_id(hub.releases_dir, [str(e["release_id"]) for e in ledger.entries(wcon)])
        tmp = hub.releases_dir / f".building-{release_id}"
        if tmp.exists():
            shutil.rmtree(tmp)
        try:
            step("snapshot")
            cases, batches = _snapshot(wcon, policy, tmp)
            # the build's own DuckDB spills, and the model's records are written, to a directory inside
            # the build, removed when done (or, if the build is killed, with it by the next writer)
            with spilling_connection(MEMORY_LIMIT, within=tmp) as con:
                manifest, restricted = _build(
                    con, tmp, release_id, std, policy, cases, batches, hub, step, source, rng, budget
                )
            manifest = replace(manifest, seconds=round(time.perf_counter() - started, 2))
            (tmp / MANIFEST_FILE).write_text(manifest.dumps(), encoding="utf-8")
            (tmp / RESTRICTED_MANIFEST).write_text(
                json.dumps(restricted, indent=2, default=str) + "\n", encoding="utf-8"
            )
            _checksums(tmp)
            final = hub.releases_dir / release_id
            _publish(wcon, tmp, final, release_id, policy, manifest.privacy.rho)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return ReleaseOutcome(release_id, final, manifest, restricted)


def _publish(
    con: duckdb.DuckDBPyConnection, tmp: Path, final: Path, release_id: str, policy: Policy, rho: float
) -> None:
    """Record the spend and make the release visible, together: both or neither."""
    con.execute("BEGIN TRANSACTION")
    try:
        ledger.record(con, release_id, epsilon=policy.epsilon, delta=policy.delta, rho=rho)
        tmp.rename(final)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        if final.exists() and not tmp.exists():
            final.rename(tmp)
        raise


MEASURED = "measured"  # the snapshot's records that are measured: at most k per person


@dataclass(frozen=True)
class PersonBound:
    """How the records were linked to persons and bounded per person (exact figures: the restricted
    manifest only; the public manifest has the model's estimates)."""

    max_records_per_person: int
    records: int  # records in the snapshot
    keyed_records: int  # records carrying a person key
    key_persons: int  # distinct person keys
    linkage_records: int  # records in the linkage's persons table
    linked_by_linkage: int  # records sharing a linkage person_id with another record of the snapshot
    linked_by_key: int  # records sharing a person key with another record of the snapshot
    persons: int  # persons: cases linked either way, and each record linked to no other
    records_dropped: int  # records beyond the bound, not measured

    @property
    def linked(self) -> bool:
        """Whether records are linked to persons at all (by linkage or by person keys): the unit of
        privacy is then the person. (Whether a hub links records is a matter of its set-up — its mappings
        name a person key, it ran the linkage — which it states anyway.)"""
        return bool(self.keyed_records or self.linkage_records)

    @property
    def person_records(self) -> int:
        """k for the model's ``personRecords`` attribute, or 0 when it has none: records not linked, or
        at most one record per person measured (persons are then the records)."""
        k = self.max_records_per_person
        return k if self.linked and k > 1 else 0

    @property
    def unit(self) -> str:
        """The unit of privacy, as the public manifest and report state it."""
        k = self.max_records_per_person
        if self.linked:
            how = (
                "linkage keys or person keys"
                if self.linkage_records and self.keyed_records
                else "linkage keys"
                if self.linkage_records
                else "a person key"
            )
            return (
                f"one person (records linked by {how}; at most {k} record{'s' if k > 1 else ''} "
                "per person measured)"
            )
        return "one case record (no person key: a person recorded several times is protected at up to that many times ε)"

    def to_json(self) -> dict[str, int]:
        """The restricted manifest's ``person_bound``."""
        return {
            "max_records_per_person": self.max_records_per_person,
            "records_with_person_key": self.keyed_records,
            "persons_with_key": self.key_persons,
            "records_in_linkage": self.linkage_records,
            "records_linked_by_linkage": self.linked_by_linkage,
            "records_linked_by_person_key": self.linked_by_key,
            "persons": self.persons,
            "records": self.records,
            "records_dropped": self.records_dropped,
            "records_measured": self.records - self.records_dropped,
        }


def _bound_per_person(con: duckdb.DuckDBPyConnection, k: int) -> PersonBound:
    """View MEASURED: the snapshot with at most ``k`` records per person (lowest case_id first; see
    ``_person_units``) and, when records are linked and k > 1, ``personRecords``: how many measured records
    the record's person has. Neither the person key nor anything naming the person is carried over.
    A view, not a copy: the snapshot may be large."""
    cols = {r[0] for r in con.execute("DESCRIBE snap").fetchall()}
    key = "person_key" if "person_key" in cols else "CAST(NULL AS VARCHAR)"
    row = con.execute(
        f"SELECT count(*), count({key}), count(DISTINCT {key}), count(_linkage_records), "
        "count(*) FILTER (WHERE _linkage_records > 1), count(*) FILTER (WHERE _person_rank = 1), "
        f"count(*) FILTER (WHERE _person_rank > {int(k)}) FROM snap"
    ).fetchone()
    shared = con.execute(
        f"SELECT count(*) FROM (SELECT count(*) OVER (PARTITION BY {key}) AS n FROM snap "
        f"WHERE {key} IS NOT NULL) WHERE n > 1"
    ).fetchone()
    assert row is not None and shared is not None
    bound = PersonBound(
        max_records_per_person=k,
        records=int(row[0]),
        keyed_records=int(row[1]),
        key_persons=int(row[2]),
        linkage_records=int(row[3]),
        linked_by_linkage=int(row[4]),
        linked_by_key=int(shared[0]),
        persons=int(row[5]),
        records_dropped=int(row[6]),
    )
    hidden = ", ".join(qi(c) for c in (*UNIT_COLUMNS, *(["person_key"] if "person_key" in cols else [])))
    extra = (
        f", CAST(least(_person_records, {int(k)}) AS VARCHAR) AS {qi(PERSON_RECORDS)}"
        if bound.person_records
        else ""
    )
    con.execute(
        f"CREATE VIEW {MEASURED} AS SELECT * EXCLUDE ({hidden}){extra} FROM snap "
        f"WHERE _person_rank <= {int(k)}"
    )
    return bound


def _measure(
    con: duckdb.DuckDBPyConnection,
    std: Standard,
    policy: Policy,
    batches: list[dict[str, Any]],
    created: str,
    noise: NoiseSource,
    rng: np.random.Generator,
    bound: PersonBound,
) -> tuple[DPModel, Codes]:
    """The model, and the codes of the records measured (for the restricted report)."""
    contributors = sorted({b["contributor"] for b in batches})
    domains = base_domains(std, contributors, int(created[:4]), person_records=bound.person_records)
    codes = encode_table(con, MEASURED, domains)
    # at most k records per person are measured: build_model scales the noise by k (ρ per record / k²).
    # personRecords is one more attribute of each of those records (a function of its person alone), so
    # one person still moves every measured histogram by at most k: no further budget, no other scaling.
    model = build_model(
        codes,
        domains,
        std,
        epsilon=policy.epsilon,
        delta=policy.delta,
        noise=noise,
        rng=rng,
        records_per_person=policy.max_records_per_person,
    )
    return model, codes


def _population(model: DPModel, bound: PersonBound, intervals: IntervalModel) -> Population:
    """Case records and (when records are linked) persons, with the persons' 90 % interval: a weighted sum
    of the ``personRecords`` counts (``DPModel.persons_weights``), or the records' own when persons are
    the records."""
    if not bound.linked:
        return Population(persons=None, records=model.rows, unit="record", linked=False)
    persons = model.persons
    weights = model.persons_weights()
    interval = (
        intervals.combination(persons, PERSON_RECORDS, weights)
        if weights
        else intervals.interval(persons, {})
    )
    return Population(
        persons=round(persons),
        records=model.rows,
        unit="person",
        linked=True,
        persons_lower=interval.lower,
        persons_upper=interval.upper,
    )


def _model_view(con: duckdb.DuckDBPyConnection, model: DPModel, std: Standard, path: Path) -> None:
    """View ``model``: the model's records as standard values, written to ``path`` (Parquet) a block of
    records at a time, so that neither the decoded records nor a copy of them in DuckDB is ever whole in
    memory."""
    synthetic, domains = model.synthetic, model.space.domains
    first = decode_table({a: c[:0] for a, c in synthetic.items()}, domains, std)
    with pq.ParquetWriter(path, first.schema, compression="zstd") as writer:
        for start in range(0, len(next(iter(synthetic.values()), ())), MODEL_BLOCK):
            block = {a: c[start : start + MODEL_BLOCK] for a, c in synthetic.items()}
            writer.write_table(decode_table(block, domains, std), row_group_size=MODEL_BLOCK)
    con.execute(f"CREATE VIEW model AS SELECT * FROM read_parquet({ql(str(path))})")


class _Resources:
    """The release's public resources, as the data package lists them."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.items: list[dict[str, Any]] = []

    def add(
        self, name: str, paths: dict[str, str], role: str, title: str, schema: dict[str, Any] | None = None
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
        self.items.append(res)

    def finish(self) -> list[dict[str, Any]]:
        for res in self.items:
            p = self.out / res["path"]
            res["bytes"] = p.stat().st_size
            res["hash"] = "sha256:" + sha256_of(p)
            for fmt, rel in res.get("ctdhub:alternates", {}).items():
                res.setdefault("ctdhub:alternate_bytes", {})[fmt] = (self.out / rel).stat().st_size
        return self.items


def _write_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    name: str,
    out: Path,
    formats: tuple[str, ...],
    folder: str = "data",
) -> dict[str, str]:
    paths: dict[str, str] = {}
    for fmt in formats:
        if fmt == "xlsx":
            if write_xlsx(con, {name: table}, out / folder / f"{name}.xlsx") is not None:
                paths["xlsx"] = f"{folder}/{name}.xlsx"
        else:
            copy_table(con, table, out / folder / f"{name}.{fmt}", fmt)
            paths[fmt] = f"{folder}/{name}.{fmt}"
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


def _build(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    release_id: str,
    std: Standard,
    policy: Policy,
    cases: int,
    batches: list[dict[str, Any]],
    hub: Hub,
    step: Progress,
    noise: NoiseSource,
    rng: np.random.Generator,
    budget: ledger.Budget,
) -> tuple[ReleaseManifest, dict[str, Any]]:
    """The release in ``out``, but for its manifests and checksums, built in ``con``: a private DuckDB (a
    ``spilling_connection``) whose spill directory also takes the model's records."""
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    con.execute("SET enable_progress_bar = false")
    snap = out / RESTRICTED_DIR / "snapshot.parquet"
    con.execute(f"CREATE VIEW snap AS SELECT * FROM read_parquet({ql(str(snap))})")
    res = _Resources(out)

    step("measure")
    bound = _bound_per_person(con, policy.max_records_per_person)
    model, real = _measure(con, std, policy, batches, created, noise, rng, bound)
    families = {f.name: tuple(f.members) for f in std.families}
    intervals = interval_model(model.space, model.estimate.variances(), families, model.inflation)
    population = _population(model, bound, intervals)
    _model_view(con, model, std, spill_directory(con) / "model.parquet")

    step("tables")
    specs = default_specs(std)
    tables = tabulate(con, "model", specs, intervals, std)
    table_info = []
    for t in tables:
        write_table(con, t, intervals)
        rname = t.name.lower()  # Data Package names are lower case
        paths = _write_table(con, t.name, rname, out, tuple(f for f in policy.formats if f != "xlsx"))
        schema = _field_schema(con, t.name) | {
            "ctdhub:dims": list(t.dims),
            "ctdhub:cell_sd": round(t.sd, 3),
            "ctdhub:measured": t.measured,
        }
        res.add(rname, paths, "aggregate", "Estimates by " + (", ".join(t.dims) or "total"), schema)
        table_info.append(
            {
                "name": rname,
                "dims": list(t.dims),
                "cells": len(t.cells),
                "cell_sd": round(t.sd, 2),
                "measured": t.measured,
            }
        )
    if "xlsx" in policy.formats:
        sheets = {f"T{i + 1:03d}": t.name for i, t in enumerate(tables)}
        con.execute(
            "CREATE TABLE agg_index AS SELECT * FROM (VALUES "
            + ", ".join(
                f"({ql(s)}, {ql(t.name)}, {ql(', '.join(t.dims))})"
                for s, t in zip(sheets, tables, strict=True)
            )
            + ") v(sheet, table_name, dimensions)"
        )
        write_xlsx(con, {"index": "agg_index", **sheets}, out / "data" / "aggregates.xlsx")
        res.add(
            "aggregates-xlsx",
            {"xlsx": "data/aggregates.xlsx"},
            "aggregate-workbook",
            "All aggregate tables in one workbook (sheet index first)",
        )
    if policy.synthetic_enabled:
        res.add(
            SYNTHETIC_RESOURCE,
            # Parquet always: the gate tabulates every public count from it
            _write_table(
                con, "model", SYNTHETIC_RESOURCE, out, tuple(dict.fromkeys((*policy.formats, "parquet")))
            ),
            "microdata-synthetic",
            f"The release's model as records: differentially private synthetic microdata (ε = {policy.epsilon:g})",
            _field_schema(con, "model"),
        )
    else:  # the model's records still back the API and the dashboard
        copy_table(con, "model", out / "data" / f"{SYNTHETIC_RESOURCE}.parquet", "parquet")
        res.add(
            SYNTHETIC_RESOURCE,
            {"parquet": f"data/{SYNTHETIC_RESOURCE}.parquet"},
            "model",
            "The release's model as records (read by the API)",
        )
    measured: list[dict[str, Any]] = [
        {"attrs": list(m.attrs), "sigma": round(m.sigma, 4), "cells": int(np.size(m.noisy))}
        for m in model.measurements
    ]
    model_doc = {
        "intervals": intervals.to_json(),
        "measurements": measured,
        "records": model.rows,
    }
    (out / MODEL_FILE).write_text(json.dumps(model_doc) + "\n", encoding="utf-8")
    res.add(
        "model", {"json": MODEL_FILE}, "model", "What was measured, with what noise; intervals of any count"
    )

    kanon = _kanon(con, std, policy, out)
    kanon_info = kanon[0] if kanon is not None else None
    if kanon is not None:  # the research tier: never among the public resources
        write_research(out, release_id, [kanon[1]])

    step("files")
    previous = _previous(hub, release_id)
    years = [
        int(k[0])
        for t in tables
        if t.dims == ("yearOfRegistration",)
        for k, v in t.cells.items()
        if k[0].isdigit() and v >= policy.threshold
    ]
    privacy = Privacy(
        epsilon=model.epsilon,
        delta=model.delta,
        rho=model.rho,
        noise=model.noise,
        unit=bound.unit,
        max_records_per_person=policy.max_records_per_person,
        display_threshold=policy.threshold,
        interval_level=intervals.level,
        measurements=len(model.measurements),
        lifetime=Lifetime.of(budget),
    )
    diff = release_diff(previous, intervals, tables)
    report = build_report(
        release_id=release_id,
        created_at=created,
        policy=policy.as_dict(),
        privacy=privacy.to_json(),
        tables=table_info,
        records=model.rows,
        kanon=kanon_info.to_json() if kanon_info is not None else None,
        measurements=measured,
        population=population,
    )
    texts = {
        "privacy.json": json.dumps(report, indent=2, default=str) + "\n",
        "report.html": report_html(report),
        "diff.json": json.dumps(diff, indent=2, default=str) + "\n",
        "dictionary.md": dictionary_markdown(std),
        "schema.json": json.dumps(table_schema(std), indent=2) + "\n",
        "LICENCE.txt": policy.licence + "\n",
        "CITATION.txt": _citation(policy, release_id, created),
        "CHANGELOG.md": _changelog(release_id, created, batches, diff),
    }
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    for name, path, role, title in [
        ("report", "privacy.json", "report", "Privacy and utility report (JSON)"),
        ("report-html", "report.html", "report", "Privacy and utility report"),
        ("diff", "diff.json", "diff", "Changes since the previous release (difference of two DP releases)"),
        ("dictionary", "dictionary.md", "dictionary", "Data dictionary of the standard"),
        ("table-schema", "schema.json", "dictionary", "Table Schema of the standard"),
        ("licence", "LICENCE.txt", "licence", "Licence"),
        ("citation", "CITATION.txt", "citation", "How to cite"),
        ("changelog", "CHANGELOG.md", "changelog", "Release notes"),
    ]:
        res.add(name, {path.rsplit(".", 1)[-1]: path}, role, title)
    resources = res.finish()
    contributors = sorted({b["contributor"] for b in batches})
    datapackage = {
        "profile": "data-package",
        "name": f"ctdhub-release-{release_id}",
        "id": release_id,
        "title": policy.title,
        "description": policy.description
        or "Differentially private release of harmonised counter-trafficking case data.",
        "created": created,
        "version": release_id,
        "licenses": [{"name": policy.licence_id, "title": policy.licence}],
        "contributors": [{"title": c, "role": "contributor"} for c in contributors],
        "resources": resources,
    }
    (out / "datapackage.json").write_text(
        json.dumps(datapackage, indent=2, default=str) + "\n", encoding="utf-8"
    )
    manifest = ReleaseManifest(
        release_id=release_id,
        created_at=created,
        status="published",
        ctdhub_version=__version__,
        standard_version=STANDARD_VERSION,
        policy=policy.as_dict(),
        policy_sha256=policy.sha256,
        privacy=privacy,
        contributors=tuple(contributors),
        years=(min(years), max(years)) if years else None,
        resources=tuple(r["name"] for r in resources),
        aggregates=Aggregates(tables=len(tables), cells=sum(len(t.cells) for t in tables)),
        model=ModelInfo(records=model.rows, seconds={k: round(v, 2) for k, v in model.seconds.items()}),
        kanon=kanon_info,
        previous_release=diff.get("previous_release"),
        seconds=0.0,  # the whole build's time, set once the build is done
        population=population,
    )
    restricted = restricted_report(real, model, policy, cases, batches) | {
        "person_bound": bound.to_json(),
        "policy_source": policy.source,
        "batches": batches,
        "standard_version": STANDARD_VERSION,
    }
    return manifest, restricted


def _kanon(
    con: duckdb.DuckDBPyConnection, std: Standard, policy: Policy, out: Path
) -> tuple[Kanon, ResearchProduct] | None:
    """The opt-in k-anonymised microdata (real records, generalised): off unless the policy asks. Written to
    the release's research folder (for researchers under the data-use terms), never among the public
    resources; the public manifest describes them (k, levels), the research manifest lists the files."""
    if not policy.kanon_enabled:
        return None
    kr = k_anonymise(
        con,
        "snap",
        out="kanon_full",
        k=policy.k,
        quasi_identifiers=list(policy.quasi_identifiers),
        max_suppression=policy.max_suppression,
        std=std,
    )
    if kr.rows_suppressed > kr.max_suppressed:
        raise CtdhubError(
            f"k-anonymity with k = {policy.k} would suppress {kr.rows_suppressed:,} of {kr.rows_in:,} records, "
            f"more than the policy's max_suppression ({policy.max_suppression:.0%}); no release was written.",
            hint="Lower kanon.k, raise kanon.max_suppression, or switch kanon off.",
        )
    bad = audit_kanon(con, "kanon_full", list(policy.quasi_identifiers), policy.k)
    if bad:
        raise CtdhubError(
            f"The k-anonymised table failed the independent check: {bad[0]}; no release was written."
        )
    cols = {r[0] for r in con.execute("DESCRIBE kanon_full").fetchall()}
    field_cols = ", ".join(qi(f) for f in std.field_names if f in cols)
    con.execute(f"CREATE TABLE kanon AS SELECT {field_cols} FROM kanon_full")
    paths = _write_table(con, "kanon", KANON_RESOURCE, out, policy.formats, folder=RESEARCH_DIR)
    files = tuple(
        ResearchFile(
            name=rel.rsplit("/", 1)[-1],
            format=fmt,
            mediatype=MEDIATYPES[fmt],
            bytes=(out / rel).stat().st_size,
            sha256=sha256_of(out / rel),
        )
        for fmt, rel in paths.items()
    )
    product = ResearchProduct(
        name=KANON_RESOURCE,
        role=KANON_ROLE,
        title=f"k-anonymised microdata (k = {policy.k}; opt-in: not protected against comparison of releases)",
        rows=kr.rows_out,
        files=files,
        schema=_field_schema(con, "kanon"),
    )
    info = Kanon(
        k=kr.k,
        k_achieved=kr.k_achieved,
        quasi_identifiers=tuple(kr.quasi_identifiers),
        levels=dict(kr.levels),
        level_names=dict(kr.level_names),
        warning="Real records, generalised: two releases a few records apart can be compared to find the "
        "records added in between. Not covered by the differential-privacy guarantee.",
    )
    return info, product


def _previous(hub: Hub, release_id: str) -> tuple[Path, ReleaseManifest] | None:
    """The last published release before this one (releases built before differential privacy are not listed)."""
    earlier = [
        r for r in list_releases(hub.releases_dir, include_withdrawn=False) if r.release_id < release_id
    ]
    if not earlier:
        return None
    last = earlier[-1]
    return hub.releases_dir / last.release_id, last


def _citation(policy: Policy, release_id: str, created: str) -> str:
    if policy.citation:
        return policy.citation.replace("{release}", release_id).replace("{date}", created[:10]) + "\n"
    return (
        f"{policy.publisher} ({created[:4]}). {policy.title}, release {release_id} ({created[:10]}). "
        "Harmonised to the ctdhub case-data standard 1.0 (CTDC codebook field names); differentially "
        f"private estimates (ε = {policy.epsilon:g}). Identified cases of human trafficking, not prevalence "
        "estimates.\n"
    )


def _changelog(release_id: str, created: str, batches: list[dict[str, Any]], diff: dict[str, Any]) -> str:
    contributors = sorted({b["contributor"] for b in batches})
    return (
        f"# Release {release_id} ({created[:10]})\n\n"
        f"Contributing organisations: {', '.join(contributors)}.\n\n"
        "## Changes since the previous release\n\n" + diff_markdown(diff)
    )


def _checksums(out: Path) -> None:
    lines = []
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and not rel.startswith((RESTRICTED_DIR + "/", RESEARCH_DIR + "/")):
            lines.append(f"{sha256_of(p)}  {rel}")
    (out / "checksums.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")
