"""Person keys: link one person's records without storing who the person is.

A mapping's `person_key` names the source column(s) that identify the person (a national ID, a
case-management person ID, or name and date of birth). At ingest each row's key is the HMAC-SHA256, under
the hub's secret (`ctdhub.store.hub.person_key_secret`), of those columns' values — each normalised
(Unicode NFC, lower case, every run of white space made one space, trimmed) and joined with a unit
separator (U+001F). A row with any key column blank, or holding one of the spec's missing-value codes, has
no key (NULL): it counts as a person of its own. The same person gets the same key in every contributor's
file of the hub, and a different key in another hub (another secret).

The hash is computed in SQL, vectorised: DuckDB's `sha256` over blobs, with HMAC built from it
(RFC 2104: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))). The secret reaches the query as two session variables
(`SET VARIABLE`, bound as parameters), never as text of the query, and is cleared after use.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

import duckdb

from ctdhub.sql import qi, ql_list

SEPARATOR = "\x1f"
_BLOCK = 64  # SHA-256 block size in bytes
_IPAD = "ctdhub_person_key_ipad"
_OPAD = "ctdhub_person_key_opad"


def normalise(value: str) -> str:
    """The Python form of the SQL normalisation (for missing-value codes and for checks)."""
    return " ".join(unicodedata.normalize("NFC", value).lower().split())


def reference_key(secret: bytes, values: Sequence[str | None]) -> str | None:
    """The key of one row computed in Python: the definition the SQL implements (tests compare them)."""
    parts = [normalise(v) if v is not None else "" for v in values]
    if any(p == "" for p in parts):
        return None
    return hmac.new(secret, SEPARATOR.join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


@contextmanager
def secret_bound(con: duckdb.DuckDBPyConnection, secret: bytes) -> Iterator[None]:
    """Make the secret's HMAC pads available to `key_sql` on `con` for the duration of the block."""
    key = hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret
    key = key.ljust(_BLOCK, b"\0")
    con.execute(f"SET VARIABLE {_IPAD} = ?", [bytes(b ^ 0x36 for b in key)])
    con.execute(f"SET VARIABLE {_OPAD} = ?", [bytes(b ^ 0x5C for b in key)])
    try:
        yield
    finally:
        con.execute(f"RESET VARIABLE {_IPAD}")
        con.execute(f"RESET VARIABLE {_OPAD}")


def _normalised_sql(col_sql: str) -> str:
    return rf"nullif(trim(regexp_replace(lower(nfc_normalize({col_sql})), '[\s\pZ\x0b\x1c-\x1f\x85]+', ' ', 'g')), '')"


def key_sql(columns: Sequence[str], missing: Collection[str] = (), alias: str = "r") -> str:
    """SQL expression of the person key of a row of `alias` (NULL when any key column is blank or missing).

    `missing` holds the spec's missing-value codes; they are normalised like the values. Use inside
    `secret_bound`.
    """
    codes = sorted({normalise(m) for m in missing if normalise(m)})
    parts = []
    for col in columns:
        value = _normalised_sql(f"{alias}.{qi(col)}")
        if codes:
            value = f"(CASE WHEN NOT list_contains({ql_list(codes)}, {value}) THEN {value} END)"
        parts.append(value)
    message = " || chr(31) || ".join(parts)  # NULL as soon as one part is NULL
    inner = f"unhex(sha256(getvariable('{_IPAD}') || encode({message})))"
    return f"sha256(getvariable('{_OPAD}') || {inner})"
