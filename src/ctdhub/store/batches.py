"""Write one ingest batch into the store atomically, and list, show, approve or revert batches.

A batch is all or nothing: cases, quarantined rows, findings, the fields the contributor collects
and the provenance row are written in one transaction. Every source row ends up either in `cases`
or in `quarantine` — never both, never neither. A stored case's linkage key (when the mapping names a
linkage-key column) goes, parsed by `ctdhub.linkage.keyformat`, into `linkage_keys` in the same
transaction; that table is restricted: nothing here lists or shows it, and a revert deletes the batch's
keys, its cases' `persons` rows and every `linkage_pairs` row naming one of its cases (the team's
`linkage_decisions` stay, naming case ids that may no longer exist).

Statuses: ``active`` (in the next release), ``pending`` (uploaded by a contributor through the portal:
stored, but in no release until the hub team approves it), ``reverted`` (its cases removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from ctdhub.errors import CtdhubError
from ctdhub.linkage import keyformat
from ctdhub.sql import qi, ql
from ctdhub.standard import Standard
from ctdhub.store.hub import transaction
from ctdhub.store.schema import case_id_sql, stored_case_columns

ACTIVE, PENDING, REVERTED = "active", "pending", "reverted"
LINKAGE_KEY = "linkage_key"  # the mapped table's column of keys (= ctdhub.mapping.engine.LINKAGE_KEY)
# a contributor's name: the organisation of its accounts, the prefix of its batch ids
CONTRIBUTOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LIVE = (ACTIVE, PENDING)  # batches whose cases are in the store


@dataclass(frozen=True)
class BatchMeta:
    batch_id: str
    contributor: str
    file_name: str
    file_sha256: str
    mapping: str
    mapping_version: str
    mapping_sha256: str
    standard_version: str
    collected_fields: list[str]
    parent_batch_id: str | None = None


def new_batch_id(contributor: str, sha256: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")[:-3]
    return f"{contributor}-{stamp}-{sha256[:6]}"


def refuse_duplicate(con: duckdb.DuckDBPyConnection, sha256: str, file_label: str) -> None:
    row = con.execute(
        "SELECT batch_id, contributor, created_at FROM batches WHERE file_sha256 = ? AND status IN ('active', 'pending')",
        [sha256],
    ).fetchone()
    if row:
        raise CtdhubError(
            f"{file_label} was already ingested as batch {row[0]} (contributor {row[1]}, "
            f"{row[2]:%Y-%m-%d %H:%M} UTC): same content hash, so nothing was ingested.",
            hint=f"To replace it, revert that batch first: ctdhub batch revert {row[0]}.",
        )


def write_batch(
    con: duckdb.DuckDBPyConnection,
    std: Standard,
    meta: BatchMeta,
    *,
    raw: str = "raw",
    mapped: str = "mapped",
    findings: str = "all_findings",
    resolves: str | None = None,
    withheld: tuple[str, ...] = (),
    rows_read: int,
    rows_skipped: int = 0,
    status: str = ACTIVE,
) -> dict[str, int]:
    """Insert the batch in one transaction; return rows_read, rows_stored, rows_quarantined.

    `raw` holds the source rows with errors (quarantined as read); `rows_read` is the number of rows the
    file had, checked against what is stored plus what is quarantined.

    `status` is ``pending`` for a contributor's upload that waits for the hub team's approval.

    `resolves`, when given, names a table (batch_id, source_row, _row) mapping rows of this batch to
    open quarantine entries that they correct (a resubmission). `withheld` names the columns the
    mapping drops (direct identifiers): they are kept out of the quarantine copy and out of findings.

    When `mapped` has a `linkage_key` column (well-formed keys, else NULL: `ctdhub.mapping.engine`), the
    keys of the stored cases go, parsed, into `linkage_keys`.
    """
    raw_cols = [
        r[0] for r in con.execute(f"DESCRIBE {qi(raw)}").fetchall() if r[0] != "_row" and r[0] not in withheld
    ]
    mapped_cols = {r[0] for r in con.execute(f"DESCRIBE {qi(mapped)}").fetchall()}
    keyed = "person_key" in mapped_cols
    linked = LINKAGE_KEY in mapped_cols
    pairs = [f"{ql(c)}, r.{qi(c)}" for c in raw_cols]
    if keyed:  # a quarantined row keeps its person-key hash, so its corrected resubmission stays linked
        pairs.append(f"'_person_key', (SELECT k.person_key FROM {qi(mapped)} k WHERE k._row = r._row)")
    json_obj = "json_object(" + ", ".join(pairs) + ")"
    bid = ql(meta.batch_id)
    hidden = "(" + ", ".join(ql(c) for c in withheld) + ")" if withheld else "(NULL)"
    with transaction(con):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _errors AS SELECT DISTINCT _row FROM {qi(findings)} WHERE severity = 'error'"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _warnings AS SELECT _row, list(DISTINCT rule ORDER BY rule) AS w "
            f"FROM {qi(findings)} WHERE severity = 'warning' GROUP BY _row"
        )
        # the join and the filter only when there is something to join or filter: on a clean file of a
        # million rows they were a seventh of the store's time
        errors, warned = con.execute(
            "SELECT (SELECT count(*) FROM _errors), count(*) FROM _warnings"
        ).fetchall()[0]
        values = {
            "case_id": case_id_sql(bid, "m._row"),  # stored only in a store made before ids were computed
            "contributor": ql(meta.contributor),
            "batch_id": bid,
            "source_row": "m._row",
            **{f: f"m.{qi(f)}" for f in std.field_names},
            "na_fields": "m.na_fields",
            "warnings": "coalesce(w.w, []::VARCHAR[])" if warned else "[]::VARCHAR[]",
            "person_key": "m.person_key" if keyed else "NULL",
        }
        written = stored_case_columns(con)
        con.execute(
            f"INSERT INTO cases ({', '.join(qi(c) for c in written)}) SELECT "
            + ", ".join(values[c] for c in written)
            + f" FROM {qi(mapped)} m"
            + (" LEFT JOIN _warnings w ON w._row = m._row" if warned else "")
            + (" WHERE m._row NOT IN (SELECT _row FROM _errors)" if errors else "")
        )
        if linked:
            _insert_linkage_keys(con, meta, mapped)
        con.execute(
            f"INSERT INTO quarantine SELECT {bid}, r._row, {json_obj}, "
            f"(SELECT list(CASE WHEN f.\"column\" IN {hidden} THEN replace(f.message, coalesce(f.value, ''), "
            f"'(withheld)') ELSE f.message END ORDER BY f.rule) FROM {qi(findings)} f "
            f"WHERE f._row = r._row AND f.severity = 'error'), "
            f"'open', NULL FROM {qi(raw)} r WHERE r._row IN (SELECT _row FROM _errors)"
        )
        con.execute(
            f'INSERT INTO findings SELECT {bid}, _row, "column", field, '
            f'CASE WHEN "column" IN {hidden} THEN NULL ELSE value END, rule, severity, '
            f"CASE WHEN \"column\" IN {hidden} THEN replace(message, coalesce(value, ''), '(withheld)') "
            f"ELSE message END FROM {qi(findings)}"
        )
        con.executemany(
            "INSERT INTO batch_fields VALUES (?, ?, ?)",
            [[meta.batch_id, f, f in meta.collected_fields] for f in std.field_names],
        )
        counts = con.execute(
            f"SELECT {int(rows_read)}, (SELECT count(*) FROM cases WHERE batch_id = {bid}), "
            f"(SELECT count(*) FROM quarantine WHERE batch_id = {bid})"
        ).fetchone()
        assert counts is not None
        read, stored, quarantined = (int(x) for x in counts)
        if read != stored + quarantined:  # the no-row-lost invariant, checked before commit
            raise CtdhubError(
                f"internal error: {read} rows read but {stored} stored + {quarantined} quarantined"
            )
        if resolves:
            con.execute(
                f"UPDATE quarantine q SET status = 'resubmitted', resolved_by = {bid} FROM {qi(resolves)} s "
                f"WHERE q.batch_id = s.batch_id AND q.source_row = s.source_row AND q.status = 'open'"
            )
        con.execute(
            "INSERT INTO batches (batch_id, contributor, file_name, file_sha256, mapping, mapping_version, "
            "mapping_sha256, standard_version, created_at, rows_read, rows_stored, rows_quarantined, status, "
            "reverted_at, parent_batch_id, rows_skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            [
                meta.batch_id,
                meta.contributor,
                meta.file_name,
                meta.file_sha256,
                meta.mapping,
                meta.mapping_version,
                meta.mapping_sha256,
                meta.standard_version,
                datetime.now(UTC),
                read,
                stored,
                quarantined,
                status,
                meta.parent_batch_id,
                rows_skipped,
            ],
        )
    return {"rows_read": read, "rows_stored": stored, "rows_quarantined": quarantined}


def _insert_linkage_keys(con: duckdb.DuckDBPyConnection, meta: BatchMeta, mapped: str) -> None:
    """The parsed linkage keys of the batch's stored cases (rows without an error, with a key), into the
    restricted `linkage_keys`; the key column of `mapped` holds only well-formed keys, checked again here."""
    key = f"m.{qi(LINKAGE_KEY)}"
    parsed = keyformat.columns_sql(key)
    bid = ql(meta.batch_id)
    con.execute(
        f"INSERT INTO linkage_keys (case_id, batch_id, contributor, {', '.join(qi(c) for c in parsed)}) "
        f"SELECT {case_id_sql(bid, 'm._row')}, {bid}, {ql(meta.contributor)}, "
        + ", ".join(parsed.values())
        + f" FROM {qi(mapped)} m WHERE {key} IS NOT NULL AND {keyformat.valid_sql(key)} "
        "AND m._row NOT IN (SELECT _row FROM _errors)"
    )


def list_batches(con: duckdb.DuckDBPyConnection, contributor: str | None = None) -> list[dict[str, Any]]:
    where = f"WHERE contributor = {ql(contributor)}" if contributor else ""
    rel = con.execute(f"SELECT * FROM batches {where} ORDER BY created_at")
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def get_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, Any]:
    rel = con.execute("SELECT * FROM batches WHERE batch_id = ?", [batch_id])
    row = rel.fetchone()
    if row is None:
        raise CtdhubError(f"There is no batch {batch_id!r} in this store.", hint="See 'ctdhub batch list'.")
    return dict(zip([d[0] for d in rel.description], row, strict=True))


def revert_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, int]:
    """Remove a batch's cases and close its quarantine; the batch stays listed as reverted (provenance)."""
    batch = get_batch(con, batch_id)
    if batch["status"] not in LIVE:
        raise CtdhubError(f"Batch {batch_id} was already reverted on {batch['reverted_at']:%Y-%m-%d}.")
    children = con.execute(
        "SELECT batch_id FROM batches WHERE parent_batch_id = ? AND status IN ('active', 'pending')",
        [batch_id],
    ).fetchall()
    if children:
        raise CtdhubError(
            f"Batch {batch_id} has active resubmission batch(es) {', '.join(c[0] for c in children)}; revert those first."
        )
    with transaction(con):
        removed = con.execute("SELECT count(*) FROM cases WHERE batch_id = ?", [batch_id]).fetchone()
        _delete_linkage(con, batch_id)
        con.execute("DELETE FROM cases WHERE batch_id = ?", [batch_id])
        con.execute("UPDATE quarantine SET status = 'reverted' WHERE batch_id = ?", [batch_id])
        # rows this batch had resolved go back to the open queue of their own batch
        con.execute(
            "UPDATE quarantine SET status = 'open', resolved_by = NULL WHERE resolved_by = ?", [batch_id]
        )
        con.execute(
            "UPDATE batches SET status = 'reverted', reverted_at = ? WHERE batch_id = ?",
            [datetime.now(UTC), batch_id],
        )
    return {"cases_removed": int(removed[0]) if removed else 0}


def _delete_linkage(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """What linkage holds of a batch's cases (run before the cases are deleted): their keys, their `persons`
    rows, and the candidate pairs naming one of them. Decisions are the team's work and stay."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _reverted_cases AS SELECT case_id FROM cases WHERE batch_id = ? "
        "UNION SELECT case_id FROM linkage_keys WHERE batch_id = ?",
        [batch_id, batch_id],
    )
    con.execute("DELETE FROM linkage_keys WHERE batch_id = ?", [batch_id])
    con.execute("DELETE FROM persons WHERE case_id IN (SELECT case_id FROM _reverted_cases)")
    con.execute(
        "DELETE FROM linkage_pairs WHERE case_a IN (SELECT case_id FROM _reverted_cases) "
        "OR case_b IN (SELECT case_id FROM _reverted_cases)"
    )
    con.execute("DROP TABLE _reverted_cases")


def approve_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, Any]:
    """Let a pending batch (a contributor's upload) into the next release."""
    batch = get_batch(con, batch_id)
    if batch["status"] != PENDING:
        raise CtdhubError(f"Batch {batch_id} is {batch['status']}, not waiting for approval.")
    with transaction(con):
        con.execute("UPDATE batches SET status = ? WHERE batch_id = ?", [ACTIVE, batch_id])
    return get_batch(con, batch_id)
