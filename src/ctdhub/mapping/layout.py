"""Long-format input (one row per case x attribute) pivoted to one row per case, in SQL."""

from __future__ import annotations

import duckdb

from ctdhub.errors import CtdhubError
from ctdhub.mapping.spec import LongLayout
from ctdhub.sql import qi


def pivot_long(con: duckdb.DuckDBPyConnection, raw: str, layout: LongLayout, label: str) -> str:
    """Pivot `raw` into table `raw_wide`: the case column, then one column per attribute value.

    Several values for the same case and attribute are joined with '; ' (a multi-select answer).
    `_row` of a case is the first source row where it appears.
    """
    cols = {r[0] for r in con.execute(f"DESCRIBE {qi(raw)}").fetchall()}
    for role, col in (("case", layout.case), ("attribute", layout.attribute), ("value", layout.value)):
        if col not in cols:
            raise CtdhubError(f"{label}: the long layout's {role} column '{col}' is not in the file.")
    others = sorted(cols - {"_row", layout.case, layout.attribute, layout.value})
    if others:
        raise CtdhubError(
            f"{label}: a long-format file must hold only the case, attribute and value columns; "
            f"also found {', '.join(repr(c) for c in others)}."
        )
    c, a, v = qi(layout.case), qi(layout.attribute), qi(layout.value)
    # each attribute, and whether some case holds several values of it: only those need the ordered
    # string_agg (DuckDB sorts each group's rows for it, several times the cost of an unordered aggregate);
    # an attribute with at most one value per case takes that value (max ignores NULL, as string_agg does)
    attrs = con.execute(
        f"SELECT {a}, max(n) > 1 FROM (SELECT {a}, count({v}) AS n FROM {qi(raw)} WHERE {a} IS NOT NULL "
        f"GROUP BY {c}, {a}) GROUP BY {a} ORDER BY 1"
    ).fetchall()

    def aggregate(x: str, several: bool) -> str:
        where = f"FILTER (WHERE {a} = '{x.replace(chr(39), chr(39) * 2)}')"
        if several:
            return f"string_agg({v}, '; ' ORDER BY _row) {where} AS {qi(x)}"
        return f"max({v}) {where} AS {qi(x)}"

    aggs = ", ".join(aggregate(x, bool(several)) for x, several in attrs)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_wide AS SELECT min(_row) AS _row, {c}{', ' + aggs if aggs else ''} "
        f"FROM {qi(raw)} GROUP BY {c}"
    )
    return "raw_wide"
