"""The differential-privacy engine (ctdhub.release.dp): accounting, the noise sampler, GLS, intervals, the model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdhub.release.dp import SecureNoise, SeededNoise, build_model
from ctdhub.release.dp.accounting import (
    BudgetExceededError,
    PrivacyLedger,
    cdp_delta,
    cdp_eps,
    gaussian_rho,
    gaussian_sigma,
    rho_from_eps_delta,
    rho_from_eps_delta_simple,
)
from ctdhub.release.dp.gls import Estimate, Measurement
from ctdhub.release.dp.model import FitSettings
from ctdhub.release.dp.space import base_domains, code_dtype, compress, encode_table
from ctdhub.release.dp.workload import Design, default_workload, design
from ctdhub.standard import load_standard

STD = load_standard()
SMALL_FIT = FitSettings(particles=20_000, min_particles=5_000, sweeps=10)

# Reference values from cdp2adp.cdp_rho (Canonne–Kamath–Steinke 2020; the conversion MST uses).
KNOWN_RHO = [
    (4.0, 1e-6, 0.3110649549408351),
    (1.0, 1e-6, 0.024355970359538372),
    (1.0, 1e-9, 0.014973057673588523),
    (10.0, 1e-5, 1.7826956163289516),
    (0.5, 1e-6, 0.006641524356660502),
]


@pytest.mark.parametrize(("eps", "delta", "rho"), KNOWN_RHO)
def test_rho_matches_cdp2adp(eps: float, delta: float, rho: float) -> None:
    assert rho_from_eps_delta(eps, delta) == pytest.approx(rho, rel=1e-9)
    assert cdp_eps(rho, delta) == pytest.approx(eps, rel=1e-6)
    assert cdp_delta(rho, eps) <= delta * (1 + 1e-6)


@pytest.mark.parametrize(("eps", "delta", "_rho"), KNOWN_RHO)
def test_simple_bound_is_valid_and_looser(eps: float, delta: float, _rho: float) -> None:
    simple = rho_from_eps_delta_simple(eps, delta)
    assert simple + 2 * math.sqrt(simple * math.log(1 / delta)) == pytest.approx(eps)
    assert simple <= rho_from_eps_delta(eps, delta)


def test_noise_scales_and_ledger() -> None:
    assert gaussian_sigma(0.5) == pytest.approx(1.0)
    assert gaussian_rho(gaussian_sigma(0.123)) == pytest.approx(0.123)
    ledger = PrivacyLedger(1.0)
    ledger.spend("x", "gaussian", 0.6)
    with pytest.raises(BudgetExceededError):
        ledger.spend("y", "gaussian", 0.5)
    assert ledger.remaining == pytest.approx(0.4)


# --------------------------------------------------------------------------------------------- the sampler


@pytest.fixture(scope="module")
def secure_draws() -> tuple[np.ndarray, float]:
    sigma = 7.5
    return SecureNoise().add(np.zeros(40_000, dtype=np.int64), sigma), sigma


def test_secure_noise_is_integer_centred_with_the_right_spread(
    secure_draws: tuple[np.ndarray, float],
) -> None:
    z, sigma = secure_draws
    assert z.dtype == np.int64
    n = len(z)
    # mean 0 within 5 standard errors; variance of the discrete Gaussian ≈ σ² for σ ≫ 1
    assert abs(z.mean()) < 5 * sigma / math.sqrt(n)
    assert z.var() == pytest.approx(sigma**2, rel=0.05)
    # tails against the exact discrete Gaussian, P(Z = k) ∝ exp(-k² / 2σ²), within 4.5 standard errors
    k = np.arange(-20 * int(sigma), 20 * int(sigma) + 1)
    pmf = np.exp(-(k**2) / (2 * sigma**2))
    pmf /= pmf.sum()
    for m in (2, 3):
        p = float(pmf[np.abs(k) > m * sigma].sum())
        assert abs(np.mean(np.abs(z) > m * sigma) - p) < 4.5 * math.sqrt(p * (1 - p) / n), m
    # symmetric
    assert abs(np.mean(z > 0) - np.mean(z < 0)) < 0.02


def test_secure_noise_rho_comes_from_opendp() -> None:
    noise = SecureNoise()
    assert noise.rho(5.0) == pytest.approx(1 / 50)
    counts = np.arange(12, dtype=np.int64).reshape(3, 4)
    out = noise.add(counts, 0.5)
    assert out.shape == (3, 4)


def test_secure_noise_differs_between_calls() -> None:
    noise = SecureNoise()
    a = noise.add(np.zeros(1000, dtype=np.int64), 10.0)
    b = noise.add(np.zeros(1000, dtype=np.int64), 10.0)
    assert not np.array_equal(a, b)


# ----------------------------------------------------------------------------------------------------- GLS


def _random_table(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {"a": rng.integers(0, 3, n), "b": rng.integers(0, 4, n), "c": rng.integers(0, 2, n)}


def _marginal(cols: dict[str, np.ndarray], attrs: tuple[str, ...], sizes: dict[str, int]) -> np.ndarray:
    idx = np.zeros(len(cols["a"]), dtype=np.int64)
    for a in attrs:
        idx = idx * sizes[a] + cols[a]
    return np.bincount(idx, minlength=math.prod(sizes[a] for a in attrs)).astype(float)


SIZES = {"a": 3, "b": 4, "c": 2}
CLIQUES = [("a", "b"), ("b", "c"), ("a",), ("c",)]


def test_gls_without_noise_reconstructs_every_marginal() -> None:
    cols = _random_table(np.random.default_rng(0), 500)
    meas = [Measurement(c, _marginal(cols, c, SIZES), 1.0) for c in CLIQUES]
    est = Estimate(meas, SIZES)
    for attrs in [("a", "b"), ("b", "c"), ("a",), ("b",), ("c",), ()]:
        truth = _marginal(cols, attrs, SIZES).reshape([SIZES[x] for x in attrs]) if attrs else np.array(500.0)
        assert np.allclose(est.marginal(attrs), truth)
    assert est.measured(("a", "b")) and not est.measured(("a", "c"))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_gls_estimates_are_consistent(seed: int) -> None:
    """A marginal of an estimated marginal is the estimated lower marginal (whatever the noise)."""
    rng = np.random.default_rng(seed)
    cols = _random_table(rng, 300)
    meas = [
        Measurement(c, _marginal(cols, c, SIZES) + rng.normal(0, 5, math.prod(SIZES[x] for x in c)), 5.0)
        for c in CLIQUES
    ]
    est = Estimate(meas, SIZES)
    ab, bc = est.marginal(("a", "b")), est.marginal(("b", "c"))
    assert np.allclose(ab.sum(axis=0), bc.sum(axis=1))  # both give b
    assert np.allclose(ab.sum(axis=1), est.marginal(("a",)))
    assert np.isclose(ab.sum(), float(est.marginal(())))


def test_gls_variance_matches_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    cols = _random_table(rng, 400)
    sigmas = {("a", "b"): 3.0, ("b", "c"): 4.0, ("a",): 2.0, ("c",): 6.0}
    truth_ab = _marginal(cols, ("a", "b"), SIZES).reshape(3, 4)
    errs_cell, errs_sum = [], []
    for _ in range(600):
        meas = [
            Measurement(c, _marginal(cols, c, SIZES) + rng.normal(0, s, math.prod(SIZES[x] for x in c)), s)
            for c, s in sigmas.items()
        ]
        est = Estimate(meas, SIZES)
        ab = est.marginal(("a", "b"))
        errs_cell.append(ab[1, 2] - truth_ab[1, 2])
        errs_sum.append(ab[:, :2].sum() - truth_ab[:, :2].sum())  # b in {0, 1}, a summed over
    var_cell, _ = est.variance({"a": 1, "b": 1})
    var_sum, _ = est.variance({"b": 2})
    assert np.var(errs_cell) == pytest.approx(var_cell, rel=0.15)
    assert np.var(errs_sum) == pytest.approx(var_sum, rel=0.15)
    assert est.variance({"a": 1, "c": 1})[1] is False  # (a, c) was never measured


# ------------------------------------------------------------------------------------- domains and design


def test_compression_keeps_large_values_and_merges_the_rest_per_group() -> None:
    dom = base_domains(STD, ["x"])["citizenship"]
    noisy = np.zeros(dom.size)
    noisy[dom.values.index("THA")] = 500
    noisy[dom.values.index("LAO")] = 4
    noisy[dom.values.index("KHM")] = 3
    groups = np.zeros(dom.size, dtype=np.int64)
    comp = compress("citizenship", dom, noisy, 30.0, groups)
    assert not comp.merged(int(comp.to_model[dom.values.index("THA")]))
    assert comp.to_model[dom.values.index("LAO")] == comp.to_model[dom.values.index("KHM")]
    assert comp.to_model[dom.size - 1] != comp.to_model[dom.values.index("LAO")]  # unknown stays apart
    assert sorted(c for m in comp.members for c in m) == list(range(dom.size))


def test_domains_come_from_the_standard_not_the_data() -> None:
    doms = base_domains(STD, ["b-org", "a-org"], year=2026)
    assert doms["contributor"].values == ("a-org", "b-org")
    assert doms["yearOfRegistration"].values[0] == "1990" and doms["yearOfRegistration"].values[-1] == "2026"
    assert len(doms["CountryOfExploitation"].values) > 240


def test_design_spends_exactly_the_budget() -> None:
    doms = base_domains(STD, ["x"], year=2026)
    sizes = {a: d.size for a, d in doms.items()}
    wl = default_workload(STD, doms)
    from ctdhub.release.dp.space import ModelSpace, add_derived

    space = ModelSpace(doms)
    add_derived(space, STD)
    plan = design(wl, space.sizes, 0.25)
    assert math.fsum(1 / (2 * s * s) for _, s in plan) == pytest.approx(0.25, rel=1e-9)
    assert all(all(a in space.sizes for a in c) for c, _ in plan)
    # more precision on a marginal lowers the variance of the tables built on it
    d = Design([("a",), ("a", "b")], [("a",)], {"a": 3, "b": 2, **sizes})
    low = d.variances(np.array([1.0, 1.0]))[0]
    high = d.variances(np.array([2.0, 1.0]))[0]
    assert high < low


# ------------------------------------------------------------------------------------------------ the model


def _records(n: int, seed: int) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Invented records in original codes: a few countries, years, genders; flags mostly unknown."""
    rng = np.random.default_rng(seed)
    doms = base_domains(STD, ["org-a", "org-b"], year=2026)
    codes: dict[str, np.ndarray] = {}
    for name, d in doms.items():
        miss = d.size - 1
        if name in ("citizenship", "CountryOfExploitation"):
            pick = [d.values.index(c) for c in ("THA", "KHM", "LAO", "VNM")]
            codes[name] = rng.choice([*pick, miss], n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
        elif name == "yearOfRegistration":
            codes[name] = rng.choice([d.values.index(str(y)) for y in range(2018, 2024)], n)
        elif name == "contributor":
            codes[name] = rng.integers(0, 2, n)
        elif d.size == 3 and STD.has_field(name) and STD.field(name).type == "flag":
            codes[name] = rng.choice([0, 1, 2], n, p=[0.1, 0.1, 0.8])
        else:
            codes[name] = rng.integers(0, d.size, n)
    return codes, doms  # type: ignore[return-value]


@pytest.fixture(scope="module")
def small_model() -> tuple[object, dict[str, np.ndarray]]:
    codes, doms = _records(3_000, 0)
    m = build_model(
        codes,
        doms,
        STD,
        epsilon=4.0,
        delta=1e-6,
        noise=SeededNoise(0),  # type: ignore[arg-type]
        rng=np.random.default_rng(0),
        settings=SMALL_FIT,
    )
    return m, codes


def test_model_spends_the_budget_once_and_stays_in_domain(
    small_model: tuple[object, dict[str, np.ndarray]],
) -> None:
    m, _codes = small_model
    assert m.rho == pytest.approx(rho_from_eps_delta(4.0, 1e-6), rel=1e-9)  # type: ignore[attr-defined]
    assert sum(e["rho"] for e in m.ledger) == pytest.approx(m.rho)  # type: ignore[attr-defined]
    for name, col in m.synthetic.items():  # type: ignore[attr-defined]
        assert col.min() >= 0 and col.max() < m.space.domains[name].size  # type: ignore[attr-defined]
        assert col.dtype == code_dtype(m.space.domains[name].size)  # type: ignore[attr-defined]
    assert abs(m.rows - 3_000) < 100  # type: ignore[attr-defined]


def test_model_follows_the_data(small_model: tuple[object, dict[str, np.ndarray]]) -> None:
    m, codes = small_model
    synth = m.synthetic  # type: ignore[attr-defined]
    for name in ("citizenship", "yearOfRegistration", "gender"):
        real = np.bincount(codes[name], minlength=m.space.domains[name].size)  # type: ignore[attr-defined]
        fake = np.bincount(synth[name], minlength=len(real))
        assert np.abs(real - fake).sum() / real.sum() < 0.15, name


def test_seeded_noise_repeats() -> None:
    a = SeededNoise(3).add(np.zeros(50, dtype=np.int64), 4.0)
    b = SeededNoise(3).add(np.zeros(50, dtype=np.int64), 4.0)
    assert np.array_equal(a, b)


def test_code_dtype_is_the_narrowest_that_holds_the_codes() -> None:
    assert [code_dtype(n) for n in (2, 128, 129, 32_768, 32_769)] == [
        np.int8,
        np.int8,
        np.int16,
        np.int16,
        np.int32,
    ]


def test_encode_table_gives_narrow_codes_with_unknown_last() -> None:
    import duckdb

    doms = base_domains(STD, ["org-a", "org-b"], year=2026)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('org-b', 'KHM', 2020), ('org-a', NULL, NULL)) "
        "v(contributor, citizenship, yearOfRegistration)"
    )
    three = {a: doms[a] for a in ("contributor", "citizenship", "yearOfRegistration")}
    codes = encode_table(con, "t", three)
    for a, d in three.items():
        assert codes[a].dtype == code_dtype(d.size), a
    assert codes["contributor"].tolist() == [1, 0]
    cit = doms["citizenship"]
    assert codes["citizenship"].tolist() == [cit.values.index("KHM"), cit.size - 1]
    year = doms["yearOfRegistration"]
    assert codes["yearOfRegistration"].tolist() == [year.values.index("2020"), year.size - 1]


def test_measuring_in_blocks_and_narrow_codes_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The marginals are counted a block of records at a time, from codes of any integer dtype: the
    measurements and the model are those of one pass over int64 codes."""
    import ctdhub.release.dp as dp

    codes, doms = _records(2_500, 1)

    def run(block: int, dtype: type[np.integer]) -> object:
        monkeypatch.setattr(dp, "BLOCK", block)
        return build_model(
            {a: c.astype(dtype) for a, c in codes.items()},
            doms,
            STD,
            epsilon=4.0,
            delta=1e-6,
            noise=SeededNoise(1),  # type: ignore[arg-type]
            rng=np.random.default_rng(1),
            settings=SMALL_FIT,
        )

    whole, blocks = run(1 << 20, np.int64), run(1_000, np.int16)
    for a, b in zip(whole.measurements, blocks.measurements, strict=True):  # type: ignore[attr-defined]
        assert a.attrs == b.attrs and np.array_equal(a.noisy, b.noisy)
    for name, col in whole.synthetic.items():  # type: ignore[attr-defined]
        assert np.array_equal(col, blocks.synthetic[name]), name  # type: ignore[attr-defined]


def test_interval_of_a_combination_agrees_with_counts_of_values() -> None:
    """IntervalModel.combination: indicator weights give a count's variance; the persons' weights (1/j) give
    a variance between none and that of the whole total; an unmeasured component is said."""
    from ctdhub.release.dp.gls import ComponentVariances
    from ctdhub.release.dp.intervals import IntervalModel

    variances = ComponentVariances({"k": 4}, {(): 9.0, ("k",): 4.0})
    model = IntervalModel(variances, {"k": {"1": 0, "2": 1, "3": 2, "Unknown": 3}}, {}, {})
    for kept in (["1"], ["1", "2"], ["1", "2", "3"]):
        count = model.interval(100.0, {"k": kept})
        combined = model.combination(100.0, "k", {v: 1.0 for v in kept})
        assert combined.sd == pytest.approx(count.sd) and combined.measured
    persons = model.combination(100.0, "k", {"1": 1.0, "2": 0.5, "3": 1 / 3})
    assert 0 < persons.sd < model.interval(100.0, {}).sd + model.combination(100.0, "k", {"1": 1.0}).sd
    assert persons.lower <= 100 <= persons.upper
    partial = IntervalModel(ComponentVariances({"k": 4}, {(): 9.0}), model.codes, {}, {})
    assert not partial.combination(100.0, "k", {"1": 1.0}).measured
