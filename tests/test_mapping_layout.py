"""The long layout's pivot: several values of one attribute joined in file order, one value taken as it is."""

from __future__ import annotations

import duckdb

from ctdhub.mapping.layout import pivot_long
from ctdhub.mapping.spec import LongLayout

LAYOUT = LongLayout(case="case", attribute="attribute", value="value")


def pivoted(rows: list[tuple[int, str | None, str | None, str | None]]) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    con.execute('CREATE TEMP TABLE raw (_row BIGINT, "case" VARCHAR, attribute VARCHAR, value VARCHAR)')
    con.executemany("INSERT INTO raw VALUES (?, ?, ?, ?)", rows)
    table = pivot_long(con, "raw", LAYOUT, "long.csv")
    return con.execute(f"SELECT * FROM {table} ORDER BY _row").fetchall()


def test_several_values_join_in_file_order_single_values_stay() -> None:
    rows = [
        (2, "B", "type", "Sexual exploitation"),
        (3, "A", "sex", "F"),
        (4, "A", "type", "Forced labour"),
        (5, "B", "sex", "M"),
        (6, "A", "type", "Another"),
        (7, "B", "type", "Forced labour"),
        (8, "A", "type", None),  # a blank value adds nothing
        (9, "C", "sex", None),  # a case whose only value is blank
        (10, "C", None, "stray"),  # a row without an attribute only counts for the case's first row
    ]
    assert pivoted(rows) == [
        (2, "B", "M", "Sexual exploitation; Forced labour"),
        (3, "A", "F", "Forced labour; Another"),
        (9, "C", None, None),
    ]


def test_an_attribute_repeated_for_one_case_only_is_joined() -> None:
    rows = [(2, "A", "type", "z"), (3, "B", "type", "y"), (4, "B", "type", "x"), (5, "A", "sex", "F")]
    assert pivoted(rows) == [(2, "A", "F", "z"), (3, "B", None, "y; x")]


def test_split_tokens_and_unmapped_check_agree_with_the_per_flag_form() -> None:
    """`Derived.tokens`/`any_unmapped` (computed once per row) give what the expressions they replace gave."""
    from ctdhub.mapping import derive as dv
    from ctdhub.sql import ql_list, strip

    keys = ql_list(["forced labour", "sexual exploitation", "a; b"])
    d = dv.Derived()
    tok = d.tokens("x", ";", keys)
    unmapped = d.any_unmapped("x", tok, keys)
    whole = "lower(trim(x))"
    old_tokens = (
        f"(CASE WHEN list_contains({keys}, {whole}) THEN [{whole}] ELSE list_filter(list_transform("
        f"string_split(x, ';'), lambda y: lower({strip('y')})), lambda y: y <> '') END)"
    )
    old_unmapped = f"len(list_filter({old_tokens}, lambda y: NOT list_contains({keys}, y))) > 0"
    cells = [
        "Forced labour",
        " forced LABOUR ;\tSexual exploitation",
        "a; b",
        "a; c",
        "; ;",
        "Smuggling;",
        None,
    ]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[c] for c in cells])
    new = con.execute(f"SELECT {tok}, {unmapped} FROM {d.wrap('(SELECT * FROM t)')}").fetchall()
    old = con.execute(f"SELECT {old_tokens}, {old_unmapped} FROM t").fetchall()
    assert new == old
    assert [u for _, u in new] == [False, False, False, True, False, True, None]
