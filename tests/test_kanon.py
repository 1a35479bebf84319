"""Property tests of k-anonymised microdata (ctdhub.release.kanon) over random skewed stores."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdhub.release.audit import audit_kanon
from ctdhub.release.kanon import k_anonymise
from ctdhub.standard import load_standard
from ctdhub.store.schema import cases_columns

STD = load_standard()
COUNTRIES = ["USA", "PHL", "UKR", "MDA", "KHM", "IDN", "NGA", "MEX", "GBR", "THA", "VNM", "ROU", "BGD", "NPL"]
COUNTRIES += ["HTI", "ETH", "GHA", "IND", "BLR", "UZB", "AFG", "BRA", "COL", "KEN", "XKX", "ATA"]


def _zipf(rng: np.random.Generator, n: int, size: int, skew: float) -> np.ndarray:
    p = 1.0 / np.arange(1, size + 1) ** skew
    return rng.choice(size, n, p=p / p.sum())


def make_cases(con: duckdb.DuckDBPyConnection, name: str, n: int, seed: int, skew: float = 1.2) -> None:
    """Create table `name` shaped like `cases` with n random, skewed rows (NULL = unknown); `case_id` is
    computed from the batch and the row, as in the store."""
    rng = np.random.default_rng(seed)
    cols: dict[str, pa.Array] = {
        "contributor": pa.array(np.array(["ngo-a", "ngo-b", "ngo-c"])[_zipf(rng, n, 3, skew)]),
        "batch_id": pa.array(["b1"] * n),
        "source_row": pa.array(np.arange(n, dtype=np.int64)),
    }

    def nullify(values: np.ndarray, p: float) -> list[object]:
        mask = rng.random(n) < p
        return [None if m else v for v, m in zip(values.tolist(), mask, strict=True)]

    for f in STD.fields:
        if f.type == "flag":
            v = np.where(rng.random(n) < rng.uniform(0.05, 0.5), 1, 0)
            cols[f.name] = pa.array(nullify(v, 0.3), pa.int8())
        elif f.type == "integer":
            cols[f.name] = pa.array(nullify(2023 - _zipf(rng, n, 25, skew * 0.6), 0.05), pa.int16())
        elif f.type == "country":
            codes = np.array(COUNTRIES)[_zipf(rng, n, len(COUNTRIES), skew)]
            cols[f.name] = pa.array(nullify(codes, 0.15), pa.string())
        else:
            codes = np.array(f.codes)[_zipf(rng, n, len(f.codes), skew)]
            cols[f.name] = pa.array(nullify(codes, 0.2), pa.string())
    arrow = pa.table(cols)  # noqa: F841 - read by DuckDB's replacement scan
    ddl = ", ".join(f'"{c}" {t}' for c, t in cases_columns(STD))
    con.execute(f'CREATE OR REPLACE TABLE "{name}" ({ddl})')
    con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM arrow')


def _check(con: duckdb.DuckDBPyConnection, k: int, max_supp: float) -> None:
    res = k_anonymise(con, "cases", out="kanon", k=k, max_suppression=max_supp)
    assert res.rows_in == res.rows_out + res.rows_suppressed
    assert res.rows_suppressed <= max(int(max_supp * res.rows_in + 1e-9), 0) or res.rows_out == 0
    assert audit_kanon(con, "kanon", res.quasi_identifiers, k) == []
    assert res.rows_out == 0 or res.k_achieved >= k
    for v in res.information_loss.values():
        assert 0.0 <= v <= 1.0
    cols = [r[0] for r in con.execute("DESCRIBE kanon").fetchall()]
    assert cols == list(STD.field_names)
    again = k_anonymise(con, "cases", out="kanon2", k=k, max_suppression=max_supp)
    assert again.levels == res.levels and again.rows_out == res.rows_out
    diff = con.execute(
        "SELECT count(*) FROM (SELECT * FROM kanon EXCEPT ALL SELECT * FROM kanon2)"
    ).fetchone()
    assert diff == (0,)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(20, 2000),
    seed=st.integers(0, 10_000),
    k=st.integers(3, 12),
    skew=st.floats(0.5, 2.5),
    max_supp=st.sampled_from([0.0, 0.02, 0.05, 0.2]),
)
def test_kanon_properties(n: int, seed: int, k: int, skew: float, max_supp: float) -> None:
    con = duckdb.connect()
    make_cases(con, "cases", n, seed, skew)
    _check(con, k, max_supp)


def test_kanon_fewer_rows_than_k_suppresses_everything() -> None:
    con = duckdb.connect()
    make_cases(con, "cases", 5, 1)
    res = k_anonymise(con, "cases", k=10, max_suppression=0.05)
    assert res.rows_out == 0 and res.rows_suppressed == 5 and res.k_achieved == 0


def test_kanon_custom_qis_and_levels_are_documented() -> None:
    con = duckdb.connect()
    make_cases(con, "cases", 3000, 7)
    res = k_anonymise(con, "cases", k=5, quasi_identifiers=["citizenship", "ageBroad", "gender"])
    assert set(res.levels) == {"citizenship", "ageBroad", "gender"}
    assert res.level_names["citizenship"] in {"country", "UN sub-region", "UN region", "withheld"}
    assert audit_kanon(con, "kanon", res.quasi_identifiers, 5) == []
    # majorityStatus agrees with a known age band
    bad = con.execute(
        "SELECT count(*) FROM kanon WHERE ageBroad IN ('0--8', '9--17', '0--17') AND majorityStatus = 'Adult'"
    ).fetchone()
    assert bad == (0,)
