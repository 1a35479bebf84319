"""The text form of a linkage key, the one definition every stage reads it by.

A key is one ASCII string: ``pprl1.<check>.<fields>.<blocks>.<filter>`` where

- ``pprl1`` names the encoding scheme (``ctdhub.linkage.clk``) and its version;
- ``<check>`` is 8 hex digits derived from the shared secret (a keyed hash of a constant): keys made with
  different secrets are never compared, and a wrong secret shows as a different check, not as bad matches;
- ``<fields>`` lists which identifiers went into the key, as letters: ``n`` name, ``d`` date of birth
  (``y`` when only the year was known), ``s`` sex (for example ``nds`` or ``ny``);
- ``<blocks>`` are blocking signatures, comma-separated 4-hex-digit numbers (keyed, truncated to 16 bits,
  so each is shared by many people): two records are compared only if they share one;
- ``<filter>`` is the 1024-bit cryptographic long-term key (CLK), URL-safe base64 without padding
  (171 characters).

The key holds no identifier in clear; it is still restricted data (see the user guide's security section).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

VERSION = "pprl1"
FILTER_BITS = 1024
FILTER_BYTES = FILTER_BITS // 8
WORDS = FILTER_BITS // 64  # the filter as 16 unsigned 64-bit words (big-endian) in the store
_B64_LEN = 171  # ceil(128 * 4 / 3) without padding
FIELD_LETTERS = "ndys"

PATTERN = rf"^{VERSION}\.[0-9a-f]{{8}}\.[{FIELD_LETTERS}]{{0,4}}\.(?:[0-9a-f]{{4}}(?:,[0-9a-f]{{4}})*)?\.[A-Za-z0-9_-]{{{_B64_LEN}}}$"
_RE = re.compile(PATTERN)


@dataclass(frozen=True)
class LinkageKey:
    """One parsed key."""

    check: str
    fields: str
    blocks: tuple[int, ...]
    filter: bytes  # FILTER_BYTES bytes

    def text(self) -> str:
        blocks = ",".join(f"{b:04x}" for b in self.blocks)
        b64 = base64.urlsafe_b64encode(self.filter).decode("ascii").rstrip("=")
        return f"{VERSION}.{self.check}.{self.fields}.{blocks}.{b64}"

    def words(self) -> list[int]:
        """The filter as WORDS big-endian unsigned 64-bit integers (the store's form)."""
        return [int.from_bytes(self.filter[i * 8 : i * 8 + 8], "big") for i in range(WORDS)]


def is_valid(text: str) -> bool:
    return bool(_RE.match(text))


def parse(text: str) -> LinkageKey:
    """Parse a key; ValueError (never echoing the key) when it is not one."""
    if not _RE.match(text):
        raise ValueError(f"not a {VERSION} linkage key")
    _, check, fields, blocks, b64 = text.split(".")
    raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    return LinkageKey(check, fields, tuple(int(b, 16) for b in blocks.split(",") if b), raw)


def valid_sql(col_sql: str) -> str:
    """SQL boolean: the text in `col_sql` is a well-formed key (the same rule as `is_valid`)."""
    return f"regexp_full_match({col_sql}, '{PATTERN[1:-1]}')"


def columns_sql(col_sql: str) -> dict[str, str]:
    """SQL expressions of the store's columns of a key held in `col_sql` (assumed valid):
    secret_check, fields, blocks (USMALLINT[]), bits (UBIGINT[16]), ones (bits set)."""
    part = f"string_split({col_sql}, '.')"
    b64 = f"{part}[5]"
    # base64url → standard base64 with padding (171 chars + 1 '=')
    std = f"replace(replace({b64}, '-', '+'), '_', '/') || '='"
    blob = f"from_base64({std})"
    # DuckDB has no substring of a BLOB: each word is cut from the blob's hex text (16 digits = 8 bytes)
    hexed = f"hex({blob})"
    words = ", ".join(
        f"CAST(('0x' || substring({hexed}, {i * 16 + 1}, 16)) AS UBIGINT)" for i in range(WORDS)
    )
    bits = f"[{words}]::UBIGINT[{WORDS}]"
    return {
        "secret_check": f"{part}[2]",
        "fields": f"{part}[3]",
        "blocks": (
            f"list_transform(list_filter(string_split({part}[4], ','), lambda b: b <> ''), "
            "lambda b: CAST(('0x' || b) AS USMALLINT))"
        ),
        "bits": bits,
        "ones": f"bit_count({blob}::BIT)",
    }
