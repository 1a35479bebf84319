"""Tiny SQL text helpers shared by the SQL builders of every stage (quoting identifiers and literals)."""

from __future__ import annotations

from collections.abc import Iterable


def qi(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def ql(value: object) -> str:
    """Quote a literal (None -> NULL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def ql_list(values: Iterable[object]) -> str:
    """A DuckDB list literal of strings, e.g. ['a', 'b']::VARCHAR[]."""
    return "[" + ", ".join(ql(v) for v in values) + "]::VARCHAR[]"


_OR_CHAIN_MAX = 32


def in_list(expr: str, values: Iterable[str]) -> str:
    """`expr` is one of `values` (false for an empty list).

    Short lists are written as a chain of equalities: DuckDB plans `x IN (a, b, ...)` as a hash (mark)
    join, which costs about three times as much per row as the chain when a query holds dozens of them.
    """
    vals = list(dict.fromkeys(values))
    if not vals:
        return "false"
    if len(vals) <= _OR_CHAIN_MAX:
        return "(" + " OR ".join(f"{expr} = {ql(v)}" for v in vals) + ")"
    return f"({expr} IN ({', '.join(ql(v) for v in vals)}))"


def strip(expr: str) -> str:
    """``expr`` without leading and trailing white space of any kind: DuckDB's ``trim`` leaves tabs and line
    breaks (an Excel cell wrapped after a separator holds one), so a regular expression does it."""
    return f"regexp_replace({expr}, '^[\\s\\p{{Z}}]+|[\\s\\p{{Z}}]+$', '', 'g')"
