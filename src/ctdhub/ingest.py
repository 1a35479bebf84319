"""Ingest one contributor file: read -> map -> validate -> store, as one atomic batch.

This is the library function behind `ctdhub ingest` (and resubmission of corrected quarantined
rows). Invariant, checked inside the store's transaction: rows_read = rows_stored + rows_quarantined.

Files larger than memory: every step runs in DuckDB temporary tables on a connection whose memory is held
to `ctdhub.store.hub.SPILL_MEMORY_LIMIT` (beyond it they spill to disk), and the readers hand DuckDB the
file in bounded chunks (`ctdhub.read`), so peak memory does not grow with the file. The whole file is still
one batch, written in one transaction.

`prepare` is the part an ingest shares with its dry run (`check_mapping`): read, leave out the rows that
are not cases, pivot a long layout, map, validate, all in the temporary tables a `Staging` names; only
`ingest_file` then writes the store.

When the mapping names a person key, each stored case carries the keyed hash of it (`person_key`), never
the values; the key columns are kept out of the quarantine copy unless the mapping maps them to fields,
and a quarantined row keeps its hash (`_person_key`), so a corrected, resubmitted row stays linked.

When the mapping names a `linkage_key` column (a dropped column), each stored case's well-formed key goes,
parsed, into the store's restricted `linkage_keys` table in the batch's transaction (`write_batch`); the
key text is never in `cases`, the quarantine copy, a finding or the report. A quarantined row keeps no key:
its corrected resubmission (which lacks the withheld column) is stored without one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ctdhub.errors import CtdhubError, UsageError
from ctdhub.mapping import MappingOutcome, MappingSpec, apply_mapping, load_spec
from ctdhub.mapping.explain import explain_rule
from ctdhub.mapping.layout import pivot_long
from ctdhub.read import SourceInfo, read_source
from ctdhub.read.tables import drop_source
from ctdhub.sql import qi, ql
from ctdhub.standard import STANDARD_VERSION, Standard, load_standard
from ctdhub.store import Hub
from ctdhub.store.batches import (
    ACTIVE,
    CONTRIBUTOR_RE,
    BatchMeta,
    get_batch,
    new_batch_id,
    refuse_duplicate,
    write_batch,
)
from ctdhub.store.hub import memory_bounded, person_key_secret, spilling_connection
from ctdhub.store.quarantine import formula_restored
from ctdhub.validate import run_validation

STAGES = ("read", "map", "validate", "store")
RESUBMIT_COLUMNS = ("_source_batch", "_source_row", "_reasons", "_person_key")

Progress = Callable[[str], None]


@dataclass
class IngestReport:
    """What happened to one file. `--json` prints this object."""

    batch_id: str
    file: str
    contributor: str
    mapping: str
    mapping_version: str
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    rows_skipped: int
    warnings: int
    rows_with_warnings: int
    rules: dict[str, dict[str, Any]]
    unmapped: dict[str, dict[str, int]]
    collected_fields: list[str]
    dropped_columns: list[str]
    ignored_columns: list[str]
    source: dict[str, Any]
    seconds: float
    resubmission_of: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_contributor(name: str) -> None:
    if not CONTRIBUTOR_RE.match(name):
        raise UsageError(
            f"Contributor name {name!r} is not valid: use letters, digits, '-', '_' or '.', up to 64 characters."
        )


def _rule_counts(con: duckdb.DuckDBPyConnection, findings: str) -> dict[str, dict[str, Any]]:
    rows = con.execute(
        f"SELECT rule, severity, count(*), count(DISTINCT _row) FROM {qi(findings)} GROUP BY ALL ORDER BY 3 DESC"
    ).fetchall()
    return {r[0]: {"severity": r[1], "findings": int(r[2]), "rows": int(r[3])} for r in rows}


# -- the shared prepare step: read -> leave out non-case rows -> (resubmission) -> layout -> map -> validate --


@dataclass(frozen=True)
class Staging:
    """The temporary tables one ingest or dry run works in, named here only: `prepare` makes one and every
    step gets it, so no step assumes another's table name. (A long layout's pivot names its own table:
    see `Prepared.source`.)"""

    file: str = "raw_file"  # the file as read: `_row`, then every column as VARCHAR
    cases: str = "raw_cases"  # its rows that are cases, when the spec leaves some out
    resubmitted: str = "raw_resubmitted"  # a corrected quarantine export without its `_source_*` columns
    resolves: str = "resolves"  # (batch_id, source_row, _row, _person_key): the open entries it corrects
    mapped: str = "mapped"  # the standard records, one per case (`ctdhub.mapping.apply_mapping`)
    map_findings: str = "map_findings"
    val_findings: str = "val_findings"
    findings: str = "all_findings"  # the mapping's and the validation's findings together
    quarantine: str = "raw_to_quarantine"  # ingest only: the source rows with an error, as read


@dataclass(frozen=True)
class Prepared:
    """A file read, mapped and validated into the tables of `staging`; nothing is stored yet. What
    `ingest_file` stores and `check_mapping` reports."""

    staging: Staging
    source: str  # the table of the rows that were mapped, one per case (`_row` = the row in the file)
    info: SourceInfo
    outcome: MappingOutcome
    rows_skipped: int  # blank rows and rows that are not cases
    resolves: str | None  # a resubmission's table of the quarantine entries it corrects

    @property
    def rows(self) -> int:
        """The rows to store or quarantine: those of `source` (the mapping counted them)."""
        return self.outcome.rows


def _quiet(_stage: str) -> None:
    """A progress callback that says nothing."""


def prepare(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: MappingSpec,
    std: Standard,
    *,
    resubmission: bool = False,
    keyed: bool = False,
    step: Progress = _quiet,
) -> Prepared:
    """Read `path`, leave out the rows that are not cases, pivot a long layout, map and validate: the part
    of an ingest that a dry run shares. `resubmission` (a corrected quarantine export; `con` is the hub's)
    also checks and sets aside the open quarantine entries it corrects; `keyed` computes person keys with
    the hub's secret (made on first use, so `con` must be the writer). Reports the stages "read", "map"
    and "validate" to `step`."""
    st = Staging()
    con.execute("SET enable_progress_bar = false")
    step("read")
    source, info, skipped = _read_cases(con, st, path, spec, resubmission)
    resolves = None
    if resubmission:
        _split_resubmission(con, st, source, path.name)
        source, resolves = st.resubmitted, st.resolves
    if spec.long is not None:
        source = pivot_long(con, source, spec.long, path.name)
    step("map")
    secret = _person_secret(con, spec, source, resubmission) if keyed else None
    outcome = apply_mapping(
        con,
        spec,
        source=source,
        target=st.mapped,
        findings=st.map_findings,
        file_label=path.name,
        std=std,
        person_secret=secret,
        linkage_key_required=not resubmission,
    )
    if resolves:
        _keep_person_keys(con, st)
    step("validate")
    _validate(con, std, spec, st, source)
    return Prepared(st, source, info, outcome, skipped, resolves)


def _read_cases(
    con: duckdb.DuckDBPyConnection, st: Staging, path: Path, spec: MappingSpec, resubmission: bool
) -> tuple[str, SourceInfo, int]:
    """Read the file into `st.file`; return the table of its case rows, what the reader saw, and how many
    rows were left out (blank, or not cases)."""
    # a corrected quarantine export is read as what it is (a UTF-8 CSV, or the workbook the data officer
    # saved it as), not with the source settings (sheet, header row, encoding) of the original file
    src = {} if resubmission else spec.source
    info = read_source(
        con,
        path,
        table=st.file,
        format=src.get("format"),
        sheet=src.get("sheet"),
        header_row=src.get("header_row"),
        encoding=src.get("encoding"),
        delimiter=src.get("delimiter"),
    )
    con.execute("SET preserve_insertion_order = false")  # rows carry _row; order no longer matters
    source, left_out = _skip_non_case_rows(con, st, src)
    return source, info, info.blank_rows_skipped + left_out


def _skip_non_case_rows(con: duckdb.DuckDBPyConnection, st: Staging, src: dict[str, Any]) -> tuple[str, int]:
    """Leave out rows of `st.file` that are not cases: the source settings' `skip_rows` (e.g. a row of
    labels under the header) and rows whose only content is their `index_column` (e.g. a template's
    pre-numbered empty rows); a resubmitted quarantine export has neither (`src` is empty). Returns the
    table of the remaining rows (`st.file` itself when nothing applies, else `st.cases`) and how many were
    left out."""
    skip = [int(r) for r in src.get("skip_rows") or []]
    conds = [f"_row IN ({', '.join(str(r) for r in skip)})"] if skip else []
    index = src.get("index_column")
    cols = [r[0] for r in con.execute(f"DESCRIBE {qi(st.file)}").fetchall() if r[0] != "_row"]
    content = [c for c in cols if c != index]
    if index in cols and content:
        conds.append("(" + " AND ".join(f"{qi(c)} IS NULL" for c in content) + ")")
    if not conds:
        return st.file, 0
    before = _count(con, st.file)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {qi(st.cases)} AS SELECT * FROM {qi(st.file)} "
        f"WHERE NOT ({' OR '.join(conds)})"
    )
    drop_source(con, st.file)
    return st.cases, before - _count(con, st.cases)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {qi(table)}").fetchone()
    return int(row[0]) if row else 0


def _split_resubmission(con: duckdb.DuckDBPyConnection, st: Staging, source: str, label: str) -> None:
    """A corrected quarantine export (`source`): `st.resolves` lists the open entries it corrects (each
    must be one), `st.resubmitted` holds its rows without the `_source_*` columns."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {qi(source)}").fetchall()]
    if "_source_batch" not in cols or "_source_row" not in cols:
        raise CtdhubError(
            f"{label} is not a quarantine export: it has no _source_batch and _source_row columns.",
            hint="Export the rows with 'ctdhub quarantine export', correct them, and resubmit that file.",
        )
    keep = [c for c in cols if c not in RESUBMIT_COLUMNS]
    key = "nullif(trim(_person_key), '')" if "_person_key" in cols else "NULL"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {qi(st.resolves)} AS SELECT _source_batch AS batch_id, "
        f"CAST(_source_row AS BIGINT) AS source_row, _row, CAST({key} AS VARCHAR) AS _person_key "
        f"FROM {qi(source)}"
    )
    bad = con.execute(
        f"SELECT r._row, r.batch_id, r.source_row FROM {qi(st.resolves)} r LEFT JOIN quarantine q "
        "ON q.batch_id = r.batch_id AND q.source_row = r.source_row AND q.status = 'open' WHERE q.batch_id IS NULL LIMIT 1"
    ).fetchone()
    if bad:
        raise CtdhubError(
            f"{label}, row {bad[0]}: batch {bad[1]} row {bad[2]} is not an open quarantined row "
            "(already resubmitted, reverted, or never quarantined); nothing was ingested."
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {qi(st.resubmitted)} AS SELECT "
        + ", ".join(f"{formula_restored(qi(c))} AS {qi(c)}" if c != "_row" else "_row" for c in keep)
        + f" FROM {qi(source)}"
    )


def _person_secret(
    con: duckdb.DuckDBPyConnection, spec: MappingSpec, source: str, resubmission: bool
) -> bytes | None:
    """The hub's secret when the spec names a person key (made on first use). A resubmitted export usually
    lacks the key columns (they are withheld from quarantine): its rows keep the hash they had instead."""
    if not spec.person_key:
        return None
    if resubmission:
        cols = {r[0] for r in con.execute(f"DESCRIBE {qi(source)}").fetchall()}
        if any(c not in cols for c in spec.person_key):
            return None
    return person_key_secret(con)


def _keep_person_keys(con: duckdb.DuckDBPyConnection, st: Staging) -> None:
    """Resubmitted rows: a key computed from the corrected row wins, else the hash the quarantined row kept."""
    mapped = qi(st.mapped)
    con.execute(f"ALTER TABLE {mapped} ADD COLUMN IF NOT EXISTS person_key VARCHAR")
    con.execute(
        f"UPDATE {mapped} SET person_key = coalesce({mapped}.person_key, s._person_key) "
        f"FROM {qi(st.resolves)} s WHERE {mapped}._row = s._row"
    )


def _validate(
    con: duckdb.DuckDBPyConnection, std: Standard, spec: MappingSpec, st: Staging, source: str
) -> None:
    """Run the standard's checks on `st.mapped` (duplicates on `source`), then gather every finding of the
    file, the mapping's and the validation's, in `st.findings`."""
    writers = {t: r.column for r in spec.columns.values() for t in r.targets()}
    run_validation(
        con,
        std,
        mapped=st.mapped,
        raw=source,
        findings=st.val_findings,
        field_columns=writers,
        skip=spec.skip_checks,
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {qi(st.findings)} AS SELECT * FROM {qi(st.map_findings)} "
        f"UNION ALL SELECT * FROM {qi(st.val_findings)}"
    )


def _load(path: str | Path, mapping: str | Path | MappingSpec) -> tuple[Path, Standard, MappingSpec]:
    """The file (which must exist), the standard, and the spec: given, or loaded from a file or a name."""
    p = Path(path)
    if not p.is_file():
        raise CtdhubError(f"{p}: no such file.")
    std = load_standard()
    spec = mapping if isinstance(mapping, MappingSpec) else load_spec(mapping, std)
    return p, std, spec


# -- ingest: prepare, then store ------------------------------------------------------------------------


def ingest_file(
    hub: Hub,
    path: str | Path,
    contributor: str,
    mapping: str | Path | MappingSpec,
    *,
    progress: Progress | None = None,
    resubmission: bool = False,
    parent_batch_id: str | None = None,
    status: str = ACTIVE,
) -> IngestReport:
    """Ingest `path` for `contributor` with `mapping` (a spec file, a built-in name or a loaded spec).
    `status` is ``pending`` for a contributor's upload that waits for the hub team's approval."""
    started = time.perf_counter()
    step = progress or _quiet
    check_contributor(contributor)
    p, std, spec = _load(path, mapping)
    sha = file_sha256(p)
    with hub.writer() as con, memory_bounded(con):
        refuse_duplicate(con, sha, p.name)
        prep = prepare(con, p, spec, std, resubmission=resubmission, keyed=True, step=step)
        step("store")
        meta = BatchMeta(
            batch_id=new_batch_id(contributor, sha),
            contributor=contributor,
            file_name=p.name,
            file_sha256=sha,
            mapping=spec.source_path,
            mapping_version=spec.version,
            mapping_sha256=spec.sha256,
            standard_version=STANDARD_VERSION,
            collected_fields=prep.outcome.collected_fields,
            parent_batch_id=parent_batch_id,
        )
        counts = _store(con, std, spec, meta, prep, status)
        rules = _rule_counts(con, prep.staging.findings)
        warnings, rows_with_warnings = _warning_counts(con, prep.staging.findings)
        parents = _resolved_batches(con, prep.resolves)
    return IngestReport(
        batch_id=meta.batch_id,
        file=str(p),
        contributor=contributor,
        mapping=spec.name,
        mapping_version=spec.version,
        rows_read=counts["rows_read"],
        rows_stored=counts["rows_stored"],
        rows_quarantined=counts["rows_quarantined"],
        rows_skipped=prep.rows_skipped,
        warnings=warnings,
        rows_with_warnings=rows_with_warnings,
        rules=rules,
        unmapped=prep.outcome.unmapped,
        collected_fields=prep.outcome.collected_fields,
        dropped_columns=prep.outcome.dropped_columns,
        ignored_columns=prep.outcome.ignored_columns,
        source={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(prep.info).items()},
        seconds=round(time.perf_counter() - started, 3),
        resubmission_of=parents,
    )


def resubmit_file(
    hub: Hub,
    path: str | Path,
    mapping: str | Path | MappingSpec | None = None,
    *,
    progress: Progress | None = None,
    status: str = ACTIVE,
) -> IngestReport:
    """Ingest a corrected quarantine export (CSV or the workbook it was saved as) as a new batch of the
    contributor whose rows it corrects, resolving them; with the spec they were first read with unless
    `mapping` is given."""
    p = Path(path)
    with spilling_connection() as con:
        info = read_source(con, p, table="resubmitted")  # as ingest will read it (CSV or workbook)
        row = (
            con.execute(
                "SELECT _source_batch FROM resubmitted WHERE _source_batch IS NOT NULL LIMIT 1"
            ).fetchone()
            if "_source_batch" in info.columns
            else None
        )
    if row is None:
        raise CtdhubError(f"{path} has no rows with a _source_batch: it is not a quarantine export.")
    with hub.connect() as store:
        parent = get_batch(store, str(row[0]))
    spec = mapping if mapping is not None else str(parent["mapping"]).removeprefix("builtin:")
    return ingest_file(
        hub,
        p,
        str(parent["contributor"]),
        spec,
        progress=progress,
        resubmission=True,
        parent_batch_id=str(parent["batch_id"]),
        status=status,
    )


def _store(
    con: duckdb.DuckDBPyConnection,
    std: Standard,
    spec: MappingSpec,
    meta: BatchMeta,
    prep: Prepared,
    status: str,
) -> dict[str, int]:
    """Write the prepared file as one batch (`write_batch` checks rows read = stored + quarantined inside
    its transaction); return those three counts."""
    st = prep.staging
    rows_read = prep.rows  # counted before the source is dropped
    _keep_rows_to_quarantine(con, prep)
    return write_batch(
        con,
        std,
        meta,
        raw=st.quarantine,
        mapped=st.mapped,
        findings=st.findings,
        resolves=prep.resolves,
        withheld=_withheld(spec, prep.outcome.dropped_columns),
        rows_read=rows_read,
        rows_skipped=prep.rows_skipped,
        status=status,
    )


def _withheld(spec: MappingSpec, dropped: list[str]) -> tuple[str, ...]:
    """Columns kept out of the quarantine copy and of findings: dropped and ignored ones (so every person-key
    column that no field is mapped from: identifiers in all but name), and the linkage-key column (a dropped
    one, named again so that its text is withheld whatever its rule)."""
    ignored = [c for c, rule in spec.columns.items() if rule.action == "ignore" and c not in dropped]
    linkage = [spec.linkage_key] if spec.linkage_key and spec.linkage_key not in dropped else []
    return (*dropped, *ignored, *linkage)


def _keep_rows_to_quarantine(con: duckdb.DuckDBPyConnection, prep: Prepared) -> None:
    """The source rows with an error, as table `staging.quarantine`; the whole source is then dropped (its
    memory freed before the store writes), as `staging.mapped` holds the rest."""
    st = prep.staging
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {qi(st.quarantine)} AS SELECT * FROM {qi(prep.source)} "
        f"WHERE _row IN (SELECT _row FROM {qi(st.findings)} WHERE severity = 'error')"
    )
    drop_source(con, prep.source)


def _warning_counts(con: duckdb.DuckDBPyConnection, findings: str) -> tuple[int, int]:
    """Warnings, and rows with a warning, among the rows without an error (the rows stored)."""
    f = qi(findings)
    warn = con.execute(
        f"SELECT count(*), count(DISTINCT _row) FROM {f} WHERE severity = 'warning' "
        f"AND _row NOT IN (SELECT _row FROM {f} WHERE severity = 'error')"
    ).fetchone()
    return (int(warn[0]), int(warn[1])) if warn else (0, 0)


def _resolved_batches(con: duckdb.DuckDBPyConnection, resolves: str | None) -> list[str]:
    """The batches whose quarantined rows a resubmission corrects."""
    if not resolves:
        return []
    return [r[0] for r in con.execute(f"SELECT DISTINCT batch_id FROM {qi(resolves)}").fetchall()]


# -- read-only uses: profile and dry run ------------------------------------------------------------------


def profile_file(
    path: str | Path, *, sheet: str | int | None = None, header_row: int | None = None, top: int = 40
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, Any]]:
    """Each column's most frequent values (for `mapping suggest`), and what the reader detected."""
    p = Path(path)
    if not p.is_file():
        raise CtdhubError(f"{p}: no such file.")
    table = Staging().file
    with spilling_connection() as con:
        info = read_source(con, p, table=table, sheet=sheet, header_row=header_row)
        profiles: dict[str, list[tuple[str, int]]] = {}
        for col in info.columns:
            rows = con.execute(
                f"SELECT {qi(col)}, count(*) FROM {qi(table)} WHERE {qi(col)} IS NOT NULL GROUP BY 1 "
                f"ORDER BY 2 DESC, 1 LIMIT {int(top)}"
            ).fetchall()
            profiles[col] = [(str(v), int(n)) for v, n in rows]
    detected = {
        "format": info.format,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "sheet": info.sheet,
        "header_row": info.header_row,
        "rows": info.rows,
    }
    return profiles, detected


def check_mapping(path: str | Path, mapping: str | Path | MappingSpec) -> dict[str, Any]:
    """Dry-run a spec on a file (nothing is stored): coverage, per-field fill, rule counts, unmapped values.

    The file goes through the same `prepare` step as an ingest, so the rows it says would be stored and
    quarantined, the rule counts and the unmapped values are those an ingest of the file would report."""
    p, std, spec = _load(path, mapping)
    with spilling_connection() as con:
        prep = prepare(con, p, spec, std)
        return _dry_run_report(con, p, spec, std, prep)


def _dry_run_report(
    con: duckdb.DuckDBPyConnection, path: Path, spec: MappingSpec, std: Standard, prep: Prepared
) -> dict[str, Any]:
    """What `check_mapping` prints: what an ingest of the prepared file would store, and why."""
    st, outcome, rows = prep.staging, prep.outcome, prep.rows
    errors = con.execute(
        f"SELECT count(DISTINCT _row) FROM {qi(st.findings)} WHERE severity = 'error'"
    ).fetchone()
    quarantined = int(errors[0]) if errors else 0
    fill_sql = ", ".join(f"count({qi(f)})" for f in outcome.collected_fields)
    fill = con.execute(f"SELECT {fill_sql} FROM {qi(st.mapped)}").fetchone() if fill_sql else ()
    return {
        "file": str(path),
        "mapping": spec.name,
        "mapping_version": spec.version,
        "rows": rows,
        "rows_skipped": prep.rows_skipped,
        "rows_would_be_stored": rows - quarantined,
        "rows_would_be_quarantined": quarantined,
        "columns": {
            "mapped": outcome.used_columns,
            "dropped": outcome.dropped_columns,
            "ignored": outcome.ignored_columns,
        },
        "fields_collected": len(outcome.collected_fields),
        "fields_in_standard": len(std.fields),
        "field_fill": {
            f: round(int(n) / rows, 4) if rows else 0.0
            for f, n in zip(outcome.collected_fields, fill or (), strict=False)
        },
        "rules": _explained_rule_counts(con, st.findings, withheld=outcome.dropped_columns),
        "unmapped": outcome.unmapped,
    }


# rules whose finding value is not a value of the file (duplicate_row: the row it repeats), and rules whose
# values the report already lists per column under `unmapped`
NO_VALUES_SHOWN = ("duplicate_row", "unmapped_value", "unknown_country")


def _explained_rule_counts(
    con: duckdb.DuckDBPyConnection, findings: str, *, withheld: list[str], top: int = 8
) -> dict[str, dict[str, Any]]:
    """Rule counts, each with a plain explanation and its most frequent offending values with counts.
    Values of `withheld` columns (dropped identifiers, such as an unreadable birth date) are not shown."""
    rules = _rule_counts(con, findings)
    hidden = ", ".join(ql(r) for r in NO_VALUES_SHOWN)
    skip_cols = (
        f'AND coalesce("column" NOT IN ({", ".join(ql(c) for c in withheld)}), true) ' if withheld else ""
    )
    rows = con.execute(
        f"SELECT rule, value, count(*) AS n FROM {qi(findings)} WHERE value IS NOT NULL "
        f"AND rule NOT IN ({hidden}) {skip_cols}GROUP BY rule, value "
        f"QUALIFY row_number() OVER (PARTITION BY rule ORDER BY n DESC, value) <= {int(top)} "
        "ORDER BY rule, n DESC, value"
    ).fetchall()
    for rule, counts in rules.items():
        counts["explanation"] = explain_rule(rule)
        counts["values"] = {str(v): int(n) for r, v, n in rows if r == rule}
    return rules
