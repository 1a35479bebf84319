"""Independent disclosure audit of release outputs (used by the property tests and the disclosure gate).

Written separately from the code that protects: it reads only what would be published, rebuilds the
linear relations from the table dimensions itself, and never sees true values of suppressed cells.
"""

from __future__ import annotations

from ctdhub.sql import qi

import duckdb


def audit_kanon(con: duckdb.DuckDBPyConnection, table: str, qis: list[str], k: int) -> list[str]:
    """Violations of k-anonymity: every combination of the QIs (NULL is a value) must have >= k rows."""
    if not qis:
        row = con.execute(f"SELECT count(*) FROM {qi(table)}").fetchone()
        n = int(row[0]) if row else 0
        return [f"{table}: {n} rows in the single class (< {k})"] if 0 < n < k else []
    cols = ", ".join(qi(q) for q in qis)
    rows = con.execute(
        f"SELECT {cols}, count(*) AS c FROM {qi(table)} GROUP BY {cols} HAVING count(*) < {k} LIMIT 20"
    ).fetchall()
    return [f"{table}: class {r[:-1]} has {r[-1]} rows (< {k})" for r in rows]
