"""Fidelity metrics of the restricted report (ctdhub.release.dp.fidelity): the compiled cell counts give
exactly what counting through an index array gives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ctdhub.release.dp import fidelity


def _columns(rng: np.random.Generator, sizes: dict[str, int], n: int) -> dict[str, np.ndarray]:
    return {a: rng.integers(0, s, size=n, dtype=np.int64) for a, s in sizes.items()}


def _index_counts(cols: dict[str, np.ndarray], attrs: tuple[str, ...], sizes: dict[str, int]) -> np.ndarray:
    key = np.zeros(len(cols[attrs[0]]), dtype=np.int64)
    for a in attrs:
        key = key * sizes[a] + cols[a]
    return np.bincount(key, minlength=math.prod(sizes[a] for a in attrs)).astype(np.float64)


@pytest.mark.parametrize("attrs", [("a",), ("a", "b"), ("c", "a", "b"), ("a", "b", "c", "d")])
def test_dense_counts_match_index_counts(attrs: tuple[str, ...]) -> None:
    sizes = {"a": 7, "b": 3, "c": 250, "d": 2}
    cols = _columns(np.random.default_rng(4), sizes, 5_000)
    cols["b"] = cols["b"].astype(np.int32)  # any integer width
    got = fidelity._dense_counts(cols, attrs, [sizes[a] for a in attrs], math.prod(sizes[a] for a in attrs))
    np.testing.assert_array_equal(got, _index_counts(cols, attrs, sizes))


def test_marginal_tvd_and_count_error_as_defined() -> None:
    sizes = {"a": 5, "b": 4, "c": 30}
    rng = np.random.default_rng(9)
    real, synth = _columns(rng, sizes, 3_000), _columns(rng, sizes, 2_000)
    for way in (1, 2, 3):
        sets = fidelity._marginal_sets(list(sizes), way, None, 0)
        tvd, err = [], []
        for attrs in sets:
            x, y = _index_counts(real, attrs, sizes), _index_counts(synth, attrs, sizes)
            tvd.append(0.5 * np.abs(x / x.sum() - y / y.sum()).sum())
            seen = (x > 0) | (y > 0)
            err.append(float(np.abs(x[seen] - 1.5 * y[seen]).mean()))
        assert fidelity.marginal_tvd(real, synth, sizes, way) == pytest.approx(float(np.mean(tvd)), abs=1e-12)
        assert fidelity.mean_abs_count_error(real, synth, sizes, way) == pytest.approx(float(np.mean(err)))
    assert fidelity.marginal_tvd(real, real, sizes, 3) == 0.0
