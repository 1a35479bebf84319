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


def in_list(expr: str, values: Iterable[str]) -> str:
    """`expr IN (...)`, or false for an empty list."""
    vals = list(values)
    return f"({expr} IN ({', '.join(ql(v) for v in vals)}))" if vals else "false"
