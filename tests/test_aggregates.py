"""Property tests of protected aggregate tables (ctdhub.release.aggregates) and of the independent audit."""

from __future__ import annotations

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdhub.release.aggregates import AggTable, TableSpec, build_aggregates, default_specs
from ctdhub.release.audit import audit_tables
from test_kanon import make_cases

SMALL_SPECS = [
    TableSpec(()),
    TableSpec(("gender",)),
    TableSpec(("ageBroad",)),
    TableSpec(("yearOfRegistration",)),
    TableSpec(("citizenship",)),
    TableSpec(("citizenship_region",)),
    TableSpec(("typeOfExploit",)),
    TableSpec(("gender", "ageBroad")),
    TableSpec(("yearOfRegistration", "gender")),
    TableSpec(("gender", "typeOfExploit")),
    TableSpec(("citizenship_region", "gender")),
    TableSpec(("yearOfRegistration", "gender", "typeOfExploit")),
]


def _published_small(con: duckdb.DuckDBPyConnection, tables: list[AggTable], t: int) -> int:
    return sum(
        con.execute(f'SELECT count(*) FROM "{x.table}" WHERE count BETWEEN 1 AND {t - 1}').fetchone()[0]  # type: ignore[index]
        for x in tables
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(20, 2000),
    seed=st.integers(0, 10_000),
    threshold=st.integers(3, 12),
    skew=st.floats(0.5, 2.5),
    rounding=st.sampled_from([None, None, 5]),
)
def test_aggregate_properties(n: int, seed: int, threshold: int, skew: float, rounding: int | None) -> None:
    con = duckdb.connect()
    make_cases(con, "cases", n, seed, skew)
    tables = build_aggregates(con, "cases", threshold=threshold, specs=SMALL_SPECS, rounding=rounding)
    assert _published_small(con, tables, threshold) == 0
    assert audit_tables(con, tables, threshold) == []
    total = con.execute("SELECT count, suppressed FROM agg_total").fetchone()
    assert total is not None and (total[1] or rounding or total[0] == n)
    for t in tables:
        row = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE reason = 'primary') FROM \"{t.table}\""
        ).fetchone()
        assert row == (t.cells, t.primary)
    again = build_aggregates(
        con, "cases", threshold=threshold, specs=SMALL_SPECS, rounding=rounding, prefix="b"
    )
    for x, y in zip(tables, again, strict=True):
        diff = con.execute(f'SELECT count(*) FROM (FROM "{x.table}" EXCEPT ALL FROM "{y.table}")').fetchone()
        assert diff == (0,)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), threshold=st.integers(3, 12))
def test_default_specs_are_protected(seed: int, threshold: int) -> None:
    """Suppression now serves only the staff's exact figures; checked on the default tables without the
    country-by-year three-way tables (their exact, suppressed version is never made)."""
    con = duckdb.connect()
    make_cases(con, "cases", 5000, seed, 1.5)
    specs = [
        s
        for s in default_specs()
        if len(s.dims) < 3 or not {"CountryOfExploitation", "citizenship"} & set(s.dims)
    ]
    tables = build_aggregates(con, "cases", threshold=threshold, specs=specs)
    assert len(tables) == len(specs)
    assert _published_small(con, tables, threshold) == 0
    assert audit_tables(con, tables, threshold) == []


def test_audit_detects_recoverable_cell() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t0 AS SELECT 30::BIGINT AS count, false AS suppressed, NULL::VARCHAR AS reason")
    con.execute(
        "CREATE TABLE t1 AS SELECT * FROM (VALUES ('Female', 20::BIGINT, false), ('Male', NULL, true), "
        "('Unknown', 8, false)) AS v(gender, count, suppressed)"
    )
    tables = [AggTable("total", [], "t0", 1, 0, 0), AggTable("gender", ["gender"], "t1", 3, 1, 0)]
    problems = audit_tables(con, tables, 10)
    assert any("recoverable" in p for p in problems)
    assert any("below the threshold" in p for p in problems)  # 8 published


def test_secondary_suppression_within_and_across_tables() -> None:
    con = duckdb.connect()
    make_cases(con, "cases", 400, 11, 2.0)
    tables = build_aggregates(con, "cases", threshold=10, specs=SMALL_SPECS)
    assert sum(t.secondary for t in tables) > 0
    # no line (margin relation) has exactly one suppressed cell: gender × ageBroad rows vs the gender table
    rows = con.execute(
        """SELECT g.gender FROM agg_gender g JOIN agg_gender_ageBroad x USING (gender)
           GROUP BY g.gender, g.suppressed HAVING count(*) FILTER (WHERE x.suppressed) + g.suppressed::INT = 1"""
    ).fetchall()
    assert rows == []
