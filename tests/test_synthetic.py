"""DP synthetic-data engine: privacy accounting, domains, determinism, fidelity, edge cases (fast)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ctdhub.release.synthetic import BudgetSplit, synthesize
from ctdhub.release.synthetic._arrays import project_to_simplex, systematic_round
from ctdhub.release.synthetic.accounting import (
    BudgetExceededError,
    PrivacyLedger,
    cdp_delta,
    cdp_eps,
    em_epsilon,
    em_rho,
    gaussian_rho,
    gaussian_sigma,
    rho_from_eps_delta,
    rho_from_eps_delta_simple,
)
from ctdhub.release.synthetic.estimate import project_table
from ctdhub.release.synthetic.fidelity import (
    exact_unique_copies,
    marginal_tvd,
    mean_abs_count_error,
    rare_combination_reproduction,
)


def correlated_table(n: int = 4000, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Four correlated columns: a -> b (noisy copy), a -> c (parity), d independent; domains from a 'standard'."""
    rng = np.random.default_rng(seed)
    a = rng.choice(6, size=n, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
    b = np.where(rng.random(n) < 0.8, a, rng.integers(0, 6, n))
    c = (a % 2 + (rng.random(n) < 0.1)) % 2
    d = rng.integers(0, 3, n)
    cols = {"a": a, "b": b, "c": c, "d": d}
    return cols, {"a": 8, "b": 6, "c": 2, "d": 3}  # a's codes 6 and 7 never occur in the data


# ----------------------------------------------------------------------------------------------- accounting

# Reference values from cdp2adp.cdp_rho (Canonne–Kamath–Steinke 2020; the conversion MST uses).
KNOWN_RHO = [
    (4.0, 1e-6, 0.3110649549408351),
    (1.0, 1e-6, 0.024355970359538372),
    (1.0, 1e-9, 0.014973057673588523),
    (10.0, 1e-5, 1.7826956163289516),
    (0.5, 1e-6, 0.006641524356660502),
]


@pytest.mark.parametrize(("eps", "delta", "rho"), KNOWN_RHO)
def test_rho_matches_cdp2adp(eps, delta, rho):
    assert rho_from_eps_delta(eps, delta) == pytest.approx(rho, rel=1e-9)
    # round trip: that rho gives back (eps, delta)
    assert cdp_eps(rho, delta) == pytest.approx(eps, rel=1e-6)
    assert cdp_delta(rho, eps) <= delta * (1 + 1e-6)


@pytest.mark.parametrize(("eps", "delta", "_rho"), KNOWN_RHO)
def test_simple_bound_is_valid_and_looser(eps, delta, _rho):
    simple = rho_from_eps_delta_simple(eps, delta)
    assert simple + 2 * math.sqrt(simple * math.log(1 / delta)) == pytest.approx(eps)
    assert simple <= rho_from_eps_delta(eps, delta)


def test_known_cdp_delta_value():
    assert cdp_delta(0.5, 3.0) == pytest.approx(0.005143184063862147, rel=1e-9)


def test_noise_scales():
    assert gaussian_sigma(0.5) == pytest.approx(1.0)
    assert gaussian_sigma(0.02, sensitivity=2.0) == pytest.approx(2 * 5.0)
    assert gaussian_rho(gaussian_sigma(0.123)) == pytest.approx(0.123)
    eps = em_epsilon(0.3, 10)
    assert eps == pytest.approx(math.sqrt(8 * 0.3 / 10))
    assert 10 * em_rho(eps) == pytest.approx(0.3)


@pytest.mark.parametrize("eps", [0, -1, float("nan"), float("inf")])
def test_epsilon_must_be_positive(eps):
    cols, domains = correlated_table(50)
    with pytest.raises(ValueError, match="epsilon must be"):
        synthesize(cols, domains, epsilon=eps)


@pytest.mark.parametrize("delta", [0, 1, -0.1, 1.5])
def test_delta_must_be_in_unit_interval(delta):
    cols, domains = correlated_table(50)
    with pytest.raises(ValueError, match="delta must be strictly between 0 and 1"):
        synthesize(cols, domains, delta=delta)


def test_ledger_refuses_overspending():
    ledger = PrivacyLedger(1.0)
    ledger.spend("x", "gaussian", 0.6)
    with pytest.raises(BudgetExceededError):
        ledger.spend("y", "gaussian", 0.5)
    assert ledger.spent == pytest.approx(0.6)
    assert ledger.remaining == pytest.approx(0.4)


def test_budget_split_sums_to_rho():
    shares = BudgetSplit().shares(0.3, has_edges=True)
    assert math.fsum(shares.values()) == pytest.approx(0.3)
    assert shares["one_way"] == pytest.approx(shares["select"]) == pytest.approx(shares["two_way"])
    single = BudgetSplit().shares(0.3, has_edges=False)
    assert single["select"] == single["two_way"] == 0.0
    assert math.fsum(single.values()) == pytest.approx(0.3)


@pytest.mark.parametrize("n_cols", [1, 4])
def test_ledger_total_equals_budget(n_cols):
    cols, domains = correlated_table(500)
    cols = {k: cols[k] for k in list(cols)[:n_cols]}
    res = synthesize(cols, domains, epsilon=2.0, delta=1e-6, seed=1)
    spent = math.fsum(e["rho"] for e in res.ledger)
    assert res.rho == pytest.approx(rho_from_eps_delta(2.0, 1e-6))
    assert spent <= res.rho * (1 + 1e-9)
    assert spent == pytest.approx(res.rho, rel=1e-9)
    kinds = {e["mechanism"] for e in res.ledger}
    assert kinds == ({"gaussian", "exponential"} if n_cols > 1 else {"gaussian"})
    assert sum(e["what"].startswith("1-way") for e in res.ledger) == n_cols
    assert sum(e["what"].startswith("2-way") for e in res.ledger) == n_cols - 1
    assert len(res.tree) == n_cols - 1


# ------------------------------------------------------------------------------------------------- engine


def test_output_shape_domains_and_dtypes():
    cols, domains = correlated_table()
    cols["c"] = cols["c"].astype(np.uint8)
    res = synthesize(cols, domains, epsilon=4.0, seed=0)
    assert list(res.columns) == list(cols)
    assert abs(res.n_rows - 4000) < 200
    for name, col in res.columns.items():
        assert col.shape == (res.n_rows,)
        assert np.issubdtype(col.dtype, np.integer)
        assert col.min() >= 0
        assert col.max() < domains[name]
    assert res.columns["c"].dtype == np.uint8
    assert res.seconds > 0
    assert synthesize(cols, domains, seed=0, n_rows=123).columns["a"].shape == (123,)


def test_codes_absent_from_data_can_appear():
    rng = np.random.default_rng(0)
    cols = {"x": rng.integers(0, 3, 300), "y": rng.integers(0, 2, 300)}
    res = synthesize(cols, {"x": 40, "y": 2}, epsilon=0.5, seed=3, n_rows=5000)
    assert (res.columns["x"] >= 3).any()  # the standard's domain, not the data's, decides what exists
    assert res.columns["x"].max() < 40


def test_deterministic_with_seed():
    cols, domains = correlated_table(1000)
    r1 = synthesize(cols, domains, seed=42)
    r2 = synthesize(cols, domains, seed=42)
    r3 = synthesize(cols, domains, seed=43)
    assert r1.tree == r2.tree
    for name in cols:
        np.testing.assert_array_equal(r1.columns[name], r2.columns[name])
    assert any(not np.array_equal(r1.columns[k], r3.columns[k]) for k in cols) or r1.n_rows != r3.n_rows


def test_fidelity_at_high_epsilon():
    cols, domains = correlated_table(4000)
    res = synthesize(cols, domains, epsilon=100.0, seed=0)
    assert {frozenset(e) for e in res.tree} >= {frozenset(("a", "b")), frozenset(("a", "c"))}
    assert marginal_tvd(cols, res.columns, domains, 2) < 0.05
    assert marginal_tvd(cols, res.columns, domains, 1) < 0.03


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs_do_not_crash(n):
    cols, domains = correlated_table(10)
    cols = {k: v[:n] for k, v in cols.items()}
    res = synthesize(cols, domains, epsilon=1.0, seed=0)
    assert res.n_rows >= 0
    assert all(len(v) == res.n_rows for v in res.columns.values())
    one = synthesize({"a": cols["a"]}, {"a": 8}, epsilon=1.0, seed=0, n_rows=10)
    assert one.tree == []
    assert one.columns["a"].shape == (10,)


def test_invalid_inputs():
    cols, domains = correlated_table(20)
    with pytest.raises(ValueError, match="outside"):
        synthesize(cols, {**domains, "a": 2})
    with pytest.raises(ValueError, match="no domain size"):
        synthesize(cols, {"a": 8})
    with pytest.raises(ValueError, match="at least one column"):
        synthesize({}, {})
    with pytest.raises(ValueError, match="different lengths"):
        synthesize({"a": np.zeros(3, int), "b": np.zeros(4, int)}, {"a": 1, "b": 1})
    with pytest.raises(ValueError, match="integer codes"):
        synthesize({"a": np.zeros(3)}, {"a": 1})


# ---------------------------------------------------------------------------------------------- internals


def test_simplex_projection_and_rounding():
    p = project_to_simplex(np.array([5.0, -2.0, 1.0, 0.5]), 4.0)
    assert p.sum() == pytest.approx(4.0)
    assert (p >= 0).all()
    np.testing.assert_allclose(p, [4.0, 0.0, 0.0, 0.0] if p[2] == 0 else p)
    np.testing.assert_allclose(project_to_simplex(np.array([1.0, 2.0]), 0.0), [0.0, 0.0])
    expected = np.array([[0.5, 1.5, 2.0], [3.3, 0.3, 0.4], [0.0, 0.0, 0.0]])
    counts = systematic_round(expected, np.random.default_rng(0))
    np.testing.assert_array_equal(counts.sum(axis=1), [4, 4, 0])
    assert (np.abs(counts - expected) < 1).all()


def test_table_projection_is_consistent_and_nonnegative():
    rng = np.random.default_rng(0)
    y = rng.normal(5, 4, size=(6, 5))
    rows, cols = np.array([10.0, 0, 5, 8, 2, 5]), np.array([6.0, 6, 6, 6, 6])
    x = project_table(y, rows, cols)
    assert (x >= 0).all()
    np.testing.assert_allclose(x.sum(axis=1), rows, atol=1e-4)
    np.testing.assert_allclose(x.sum(axis=0), cols, atol=1e-4)


# ------------------------------------------------------------------------------------------------ metrics


def test_metrics():
    cols, domains = correlated_table(2000)
    assert marginal_tvd(cols, cols, domains, 2) == 0.0
    assert mean_abs_count_error(cols, cols, domains, 2) == 0.0
    rng = np.random.default_rng(1)
    shuffled = {k: rng.permutation(v) for k, v in cols.items()}
    assert marginal_tvd(cols, shuffled, domains, 1) == pytest.approx(0.0)
    assert marginal_tvd(cols, shuffled, domains, 2) > 0.1
    assert 0 < marginal_tvd(cols, shuffled, domains, 3, max_sets=2) <= 1
    rare = rare_combination_reproduction(cols, cols, ["a", "b", "d"], threshold=3)
    assert rare["share"] == 1.0
    assert 0 <= rare["reference_share"] <= 1
    copies = exact_unique_copies(cols, cols)
    assert copies["copies"] > 0
    assert 0 <= copies["reference_share"] <= 1
    with pytest.raises(ValueError):
        marginal_tvd(cols, {**cols, "a": cols["a"] + 10}, domains, 1)
