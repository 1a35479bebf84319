"""Ingest one contributor file: read -> map -> validate -> store, as one atomic batch.

This is the library function behind `ctdhub ingest` (and resubmission of corrected quarantined
rows). Invariant, checked inside the store's transaction: rows_read = rows_stored + rows_quarantined.

When the mapping names a person key, each stored case carries the keyed hash of it (`person_key`), never
the values; the key columns are kept out of the quarantine copy unless the mapping maps them to fields,
and a quarantined row keeps its hash (`_person_key`), so a corrected, resubmitted row stays linked.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ctdhub.errors import CtdhubError, UsageError
from ctdhub.mapping import MappingSpec, apply_mapping, load_spec
from ctdhub.mapping.explain import explain_rule
from ctdhub.mapping.layout import pivot_long
from ctdhub.read import read_source
from ctdhub.read.batches import drop_source
from ctdhub.sql import qi, ql
from ctdhub.standard import STANDARD_VERSION, load_standard
from ctdhub.store import Hub
from ctdhub.store.batches import BatchMeta, new_batch_id, refuse_duplicate, write_batch
from ctdhub.store.hub import person_key_secret
from ctdhub.store.quarantine import formula_restored
from ctdhub.validate import run_validation

STAGES = ("read", "map", "validate", "store")
CONTRIBUTOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
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


def ingest_file(
    hub: Hub,
    path: str | Path,
    contributor: str,
    mapping: str | Path | MappingSpec,
    *,
    progress: Progress | None = None,
    resubmission: bool = False,
    parent_batch_id: str | None = None,
) -> IngestReport:
    """Ingest `path` for `contributor` with `mapping` (a spec file, a built-in name or a loaded spec)."""
    started = time.perf_counter()
    step = progress or (lambda _stage: None)
    check_contributor(contributor)
    p = Path(path)
    if not p.is_file():
        raise CtdhubError(f"{p}: no such file.")
    std = load_standard()
    spec = mapping if isinstance(mapping, MappingSpec) else load_spec(mapping, std)
    sha = file_sha256(p)
    with hub.writer() as con:
        con.execute("SET enable_progress_bar = false")
        refuse_duplicate(con, sha, p.name)
        step("read")
        # a corrected quarantine export is read as what it is (a UTF-8 CSV, or the workbook the data officer
        # saved it as), not with the source settings (sheet, header row, encoding) of the original file
        src = {} if resubmission else spec.source
        info = read_source(
            con,
            p,
            table="raw_file",
            format=src.get("format"),
            sheet=src.get("sheet"),
            header_row=src.get("header_row"),
            encoding=src.get("encoding"),
            delimiter=src.get("delimiter"),
        )
        raw = "raw_file"
        con.execute("SET preserve_insertion_order = false")  # rows carry _row; order no longer matters
        raw, left_out = _skip_non_case_rows(con, raw, spec)
        skipped = info.blank_rows_skipped + left_out
        resolves = None
        if resubmission:
            resolves = _split_resubmission(con, raw, p.name)
            raw = "raw_resubmitted"
        if spec.long is not None:
            raw = pivot_long(con, raw, spec.long, p.name)
        step("map")
        secret = _person_secret(con, spec, raw, resubmission)
        outcome = apply_mapping(con, spec, source=raw, file_label=p.name, std=std, person_secret=secret)
        if resolves:
            _keep_person_keys(con, resolves)
        step("validate")
        writers = {t: r.column for r in spec.columns.values() for t in r.targets()}
        run_validation(con, std, raw=raw, field_columns=writers, skip=spec.skip_checks)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE all_findings AS SELECT * FROM map_findings UNION ALL "
            "SELECT * FROM val_findings"
        )
        step("store")
        raw, rows_read = _keep_rows_to_quarantine(con, raw)
        batch_id = new_batch_id(contributor, sha)
        meta = BatchMeta(
            batch_id=batch_id,
            contributor=contributor,
            file_name=p.name,
            file_sha256=sha,
            mapping=spec.source_path,
            mapping_version=spec.version,
            mapping_sha256=spec.sha256,
            standard_version=STANDARD_VERSION,
            collected_fields=outcome.collected_fields,
            parent_batch_id=parent_batch_id,
        )
        counts = write_batch(
            con,
            std,
            meta,
            raw=raw,
            resolves=resolves,
            withheld=_withheld(spec, outcome.dropped_columns),
            rows_read=rows_read,
        )
        rules = _rule_counts(con, "all_findings")
        warn = con.execute(
            "SELECT count(*), count(DISTINCT _row) FROM all_findings WHERE severity = 'warning' "
            "AND _row NOT IN (SELECT _row FROM all_findings WHERE severity = 'error')"
        ).fetchone()
        parents = (
            [r[0] for r in con.execute(f"SELECT DISTINCT batch_id FROM {resolves}").fetchall()]
            if resolves
            else []
        )
    return IngestReport(
        batch_id=batch_id,
        file=str(p),
        contributor=contributor,
        mapping=spec.name,
        mapping_version=spec.version,
        rows_read=counts["rows_read"],
        rows_stored=counts["rows_stored"],
        rows_quarantined=counts["rows_quarantined"],
        rows_skipped=skipped,
        warnings=int(warn[0]) if warn else 0,
        rows_with_warnings=int(warn[1]) if warn else 0,
        rules=rules,
        unmapped=outcome.unmapped,
        collected_fields=outcome.collected_fields,
        dropped_columns=outcome.dropped_columns,
        ignored_columns=outcome.ignored_columns,
        source={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(info).items()},
        seconds=round(time.perf_counter() - started, 3),
        resubmission_of=parents,
    )


def _person_secret(
    con: duckdb.DuckDBPyConnection, spec: MappingSpec, raw: str, resubmission: bool
) -> bytes | None:
    """The hub's secret when the spec names a person key (made on first use). A resubmitted export usually
    lacks the key columns (they are withheld from quarantine): its rows keep the hash they had instead."""
    if not spec.person_key:
        return None
    if resubmission:
        cols = {r[0] for r in con.execute(f"DESCRIBE {qi(raw)}").fetchall()}
        if any(c not in cols for c in spec.person_key):
            return None
    return person_key_secret(con)


def _keep_person_keys(con: duckdb.DuckDBPyConnection, resolves: str) -> None:
    """Resubmitted rows: a key computed from the corrected row wins, else the hash the quarantined row kept."""
    con.execute("ALTER TABLE mapped ADD COLUMN IF NOT EXISTS person_key VARCHAR")
    con.execute(
        f"UPDATE mapped SET person_key = coalesce(mapped.person_key, s._person_key) FROM {qi(resolves)} s "
        "WHERE mapped._row = s._row"
    )


def _withheld(spec: MappingSpec, dropped: list[str]) -> tuple[str, ...]:
    """Columns kept out of the quarantine copy and of findings: dropped ones, and person-key columns that
    no field is mapped from (identifiers in all but name)."""
    ignored = [c for c, rule in spec.columns.items() if rule.action == "ignore" and c not in dropped]
    return (*dropped, *ignored)


def _keep_rows_to_quarantine(con: duckdb.DuckDBPyConnection, raw: str) -> tuple[str, int]:
    """The source rows with an error, as a new table, and how many rows the source had; the whole
    source is then dropped (its memory freed before the store writes), as `mapped` holds the rest."""
    rows = _count(con, raw)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_to_quarantine AS SELECT * FROM {qi(raw)} "
        "WHERE _row IN (SELECT _row FROM all_findings WHERE severity = 'error')"
    )
    drop_source(con, raw)
    return "raw_to_quarantine", rows


def _skip_non_case_rows(con: duckdb.DuckDBPyConnection, raw: str, spec: MappingSpec) -> tuple[str, int]:
    """Leave out rows that are not cases: the spec's `skip_rows` (e.g. a row of labels under the header)
    and rows whose only content is the spec's `index_column` (e.g. a template's pre-numbered empty rows).
    Returns the table of the remaining rows (`raw` itself when nothing applies) and how many were left out."""
    skip = [int(r) for r in spec.source.get("skip_rows") or []]
    conds = [f"_row IN ({', '.join(str(r) for r in skip)})"] if skip else []
    index = spec.source.get("index_column")
    cols = [r[0] for r in con.execute(f"DESCRIBE {qi(raw)}").fetchall() if r[0] != "_row"]
    content = [c for c in cols if c != index]
    if index in cols and content:
        conds.append("(" + " AND ".join(f"{qi(c)} IS NULL" for c in content) + ")")
    if not conds:
        return raw, 0
    before = _count(con, raw)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_cases AS SELECT * FROM {qi(raw)} WHERE NOT ({' OR '.join(conds)})"
    )
    drop_source(con, raw)
    return "raw_cases", before - _count(con, "raw_cases")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {qi(table)}").fetchone()
    return int(row[0]) if row else 0


def _split_resubmission(con: duckdb.DuckDBPyConnection, raw: str, label: str) -> str:
    """A corrected quarantine export: strip the `_source_*` columns and remember which entries it resolves."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {qi(raw)}").fetchall()]
    if "_source_batch" not in cols or "_source_row" not in cols:
        raise CtdhubError(
            f"{label} is not a quarantine export: it has no _source_batch and _source_row columns.",
            hint="Export the rows with 'ctdhub quarantine export', correct them, and resubmit that file.",
        )
    keep = [c for c in cols if c not in RESUBMIT_COLUMNS]
    key = "nullif(trim(_person_key), '')" if "_person_key" in cols else "NULL"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE resolves AS SELECT _source_batch AS batch_id, "
        f"CAST(_source_row AS BIGINT) AS source_row, _row, CAST({key} AS VARCHAR) AS _person_key FROM {qi(raw)}"
    )
    bad = con.execute(
        "SELECT r._row, r.batch_id, r.source_row FROM resolves r LEFT JOIN quarantine q "
        "ON q.batch_id = r.batch_id AND q.source_row = r.source_row AND q.status = 'open' WHERE q.batch_id IS NULL LIMIT 1"
    ).fetchone()
    if bad:
        raise CtdhubError(
            f"{label}, row {bad[0]}: batch {bad[1]} row {bad[2]} is not an open quarantined row "
            "(already resubmitted, reverted, or never quarantined); nothing was ingested."
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE raw_resubmitted AS SELECT "
        + ", ".join(f"{formula_restored(qi(c))} AS {qi(c)}" if c != "_row" else "_row" for c in keep)
        + f" FROM {qi(raw)}"
    )
    return "resolves"


def profile_file(
    path: str | Path, *, sheet: str | int | None = None, header_row: int | None = None, top: int = 40
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, Any]]:
    """Each column's most frequent values (for `mapping suggest`), and what the reader detected."""
    p = Path(path)
    if not p.is_file():
        raise CtdhubError(f"{p}: no such file.")
    con = duckdb.connect()
    info = read_source(con, p, table="raw_file", sheet=sheet, header_row=header_row)
    profiles: dict[str, list[tuple[str, int]]] = {}
    for col in info.columns:
        rows = con.execute(
            f"SELECT {qi(col)}, count(*) FROM raw_file WHERE {qi(col)} IS NOT NULL GROUP BY 1 "
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
    """Dry-run a spec on a file (nothing is stored): coverage, per-field fill, rule counts, unmapped values."""
    p = Path(path)
    if not p.is_file():
        raise CtdhubError(f"{p}: no such file.")
    std = load_standard()
    spec = mapping if isinstance(mapping, MappingSpec) else load_spec(mapping, std)
    con = duckdb.connect()
    src = spec.source
    info = read_source(
        con,
        p,
        table="raw_file",
        format=src.get("format"),
        sheet=src.get("sheet"),
        header_row=src.get("header_row"),
        encoding=src.get("encoding"),
        delimiter=src.get("delimiter"),
    )
    raw, left_out = _skip_non_case_rows(con, "raw_file", spec)
    skipped = info.blank_rows_skipped + left_out
    if spec.long is not None:
        raw = pivot_long(con, raw, spec.long, p.name)
    outcome = apply_mapping(con, spec, source=raw, file_label=p.name, std=std)
    writers = {t: r.column for r in spec.columns.values() for t in r.targets()}
    run_validation(con, std, raw=raw, field_columns=writers, skip=spec.skip_checks)
    con.execute(
        "CREATE TEMP TABLE all_findings AS SELECT * FROM map_findings UNION ALL SELECT * FROM val_findings"
    )
    rows = _count(con, raw)
    errors = con.execute("SELECT count(DISTINCT _row) FROM all_findings WHERE severity = 'error'").fetchone()
    fill_sql = ", ".join(f"count({qi(f)})" for f in outcome.collected_fields)
    fill = con.execute(f"SELECT {fill_sql} FROM mapped").fetchone() if fill_sql else ()
    return {
        "file": str(p),
        "mapping": spec.name,
        "mapping_version": spec.version,
        "rows": rows,
        "rows_skipped": skipped,
        "rows_would_be_stored": rows - (int(errors[0]) if errors else 0),
        "rows_would_be_quarantined": int(errors[0]) if errors else 0,
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
        "rules": _explained_rule_counts(con, "all_findings", withheld=outcome.dropped_columns),
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
