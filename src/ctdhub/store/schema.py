"""DDL of the hub store, generated from the standard: one source of truth for column names and types.

Tables
- `cases`: one row per stored case (`case_id` = batch id, '-', the row's line in the file). Hub fields (case_id, contributor, batch_id, source_row), then every
  field of the standard with its SQL type (NULL = unknown), then `na_fields` (fields explicitly
  *not applicable* for this case), `warnings` (validation warnings kept with the row) and `person_key`
  (a keyed hash of the columns that identify the person, when the mapping names them: never the values
  themselves; NULL = no linkage).
- `batch_fields`: per batch, which standard fields the contributor collects. A field a batch does not
  collect is *not collected* for all its cases — kept apart from unknown and not applicable.
- `batches`, `quarantine`, `findings`: provenance and the data officer's work queue.
- `linkage_keys` (restricted): per case, the parsed linkage key a contributor made on its side
  (`ctdhub.linkage.keyformat`); dropped with its batch on revert; never in a release or an answer.
- `linkage_pairs`, `linkage_decisions`, `persons`: the last `duplicates find` run's candidate pairs, the hub
  team's accept/reject decisions (kept across runs), and each case's `person_id` (cluster of records of one
  person).
- `hub_meta`: the store's settings, among them the secret key of the person-key hash (never shown).

`upgrade` brings a store written by an earlier version up to `SCHEMA_VERSION` (it runs whenever the store
is opened for writing).
"""

from __future__ import annotations

import duckdb

from ctdhub.sql import qi
from ctdhub.standard import Standard, load_standard

SCHEMA_VERSION = 4  # 2: cases.person_key; 3: batches.rows_skipped; 4: linkage tables


def case_id_sql(batch: str, row: str) -> str:
    """A case's id from SQL expressions of its batch id and its row's line in the file. In `cases` it is
    computed when read (a VIRTUAL column), not stored: writing a million distinct ids was a fifth of an
    ingest's insert. A store made before stores it."""
    return f"{batch} || '-' || CAST({row} AS VARCHAR)"


def stored_case_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The columns of the store's `cases` that an insert writes, in order: all but the computed `case_id`
    (a store made before computed ids stores it, and lists it here)."""
    return [
        str(r[0])
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
            "AND table_schema = 'main' AND table_name = 'cases' AND is_generated = 'NEVER' "
            "ORDER BY ordinal_position"
        ).fetchall()
    ]


def cases_columns(std: Standard | None = None) -> list[tuple[str, str]]:
    """(name, SQL type) of every column of `cases`, in order."""
    std = std or load_standard()
    cols = [
        ("case_id", f"VARCHAR GENERATED ALWAYS AS ({case_id_sql('batch_id', 'source_row')}) VIRTUAL"),
        ("contributor", "VARCHAR NOT NULL"),
        ("batch_id", "VARCHAR NOT NULL"),
        ("source_row", "BIGINT NOT NULL"),
    ]
    cols += [(f.name, f.sql_type) for f in std.fields]
    cols += [("na_fields", "VARCHAR[]"), ("warnings", "VARCHAR[]"), ("person_key", "VARCHAR")]
    return cols


def upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """Add what later versions added to an existing store (a no-op on a current or empty one)."""
    have = {
        (r[0], r[1])
        for r in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
            "AND database_name = current_database() AND table_name IN ('cases', 'batches')"
        ).fetchall()
    }
    if not have:
        return
    changed = False
    if ("cases", "person_key") not in have:
        con.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS person_key VARCHAR")
        changed = True
    if ("batches", "rows_skipped") not in have:
        con.execute("ALTER TABLE batches ADD COLUMN IF NOT EXISTS rows_skipped BIGINT")
        changed = True
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
            "AND database_name = current_database()"
        ).fetchall()
    }
    if "linkage_keys" not in tables:
        for statement in LINKAGE_DDL:
            con.execute(statement)
        changed = True
    if changed:
        con.execute("UPDATE hub_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])


LINKAGE_DDL = [
    """CREATE TABLE IF NOT EXISTS linkage_keys (
  case_id VARCHAR PRIMARY KEY,
  batch_id VARCHAR NOT NULL,
  contributor VARCHAR NOT NULL,
  secret_check VARCHAR NOT NULL,
  fields VARCHAR NOT NULL,
  blocks USMALLINT[] NOT NULL,
  bits UBIGINT[16] NOT NULL,
  ones INTEGER NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS linkage_pairs (
  case_a VARCHAR NOT NULL,
  case_b VARCHAR NOT NULL,
  method VARCHAR NOT NULL,
  similarity DOUBLE,
  score DOUBLE NOT NULL,
  evidence VARCHAR NOT NULL,
  band VARCHAR NOT NULL,
  PRIMARY KEY (case_a, case_b)
)""",
    """CREATE TABLE IF NOT EXISTS linkage_decisions (
  case_a VARCHAR NOT NULL,
  case_b VARCHAR NOT NULL,
  decision VARCHAR NOT NULL,
  decided_by VARCHAR,
  decided_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (case_a, case_b)
)""",
    """CREATE TABLE IF NOT EXISTS persons (
  case_id VARCHAR PRIMARY KEY,
  person_id VARCHAR NOT NULL,
  method VARCHAR NOT NULL
)""",
]


def ddl(std: Standard | None = None) -> list[str]:
    """CREATE statements for an empty store."""
    cases = ",\n  ".join(f"{qi(n)} {t}" for n, t in cases_columns(std))
    return [
        "CREATE TABLE IF NOT EXISTS hub_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        """CREATE TABLE IF NOT EXISTS batches (
  batch_id VARCHAR PRIMARY KEY,
  contributor VARCHAR NOT NULL,
  file_name VARCHAR NOT NULL,
  file_sha256 VARCHAR NOT NULL,
  mapping VARCHAR NOT NULL,
  mapping_version VARCHAR NOT NULL,
  mapping_sha256 VARCHAR NOT NULL,
  standard_version VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_stored BIGINT NOT NULL,
  rows_quarantined BIGINT NOT NULL,
  status VARCHAR NOT NULL,
  reverted_at TIMESTAMPTZ,
  parent_batch_id VARCHAR,
  rows_skipped BIGINT
)""",
        # no PRIMARY KEY on case_id: it is unique by construction (`batch_id`, unique in `batches` and written
        # in the same transaction, then '-' and the row's line in the file, unique within a batch), and the
        # index made the insert of a 1M-row batch and its commit 2.5 times slower (issue 15). A store made
        # before keeps its index and its stored ids: correct, only slower to write.
        f"CREATE TABLE IF NOT EXISTS cases (\n  {cases}\n)",
        """CREATE TABLE IF NOT EXISTS batch_fields (
  batch_id VARCHAR NOT NULL,
  field VARCHAR NOT NULL,
  collected BOOLEAN NOT NULL,
  PRIMARY KEY (batch_id, field)
)""",
        """CREATE TABLE IF NOT EXISTS quarantine (
  batch_id VARCHAR NOT NULL,
  source_row BIGINT NOT NULL,
  original JSON NOT NULL,
  reasons VARCHAR[] NOT NULL,
  status VARCHAR NOT NULL,
  resolved_by VARCHAR,
  PRIMARY KEY (batch_id, source_row)
)""",
        """CREATE TABLE IF NOT EXISTS findings (
  batch_id VARCHAR NOT NULL,
  source_row BIGINT,
  "column" VARCHAR,
  field VARCHAR,
  value VARCHAR,
  rule VARCHAR NOT NULL,
  severity VARCHAR NOT NULL,
  message VARCHAR NOT NULL
)""",
        *LINKAGE_DDL,
    ]
