"""Differentially private synthetic microdata: a vectorised MST-style (maximum spanning tree) engine.

``synthesize`` takes integer-coded columns (0..d−1; missing values are their own code, encoded by the
caller) with their domain sizes taken from the data standard — never from the data — and returns a
synthetic table of the same shape under (ε, δ)-DP, via ρ-zCDP:

1. a DP row count (Gaussian, 1 % of ρ);
2. noisy 1-way marginals of every column (Gaussian), then MST's compression of values below 3σ;
3. a spanning tree over the columns, chosen edge by edge with the exponential mechanism, scoring pairs by
   how far their 2-way marginal is from the product of the noisy 1-ways;
4. noisy 2-way marginals on the tree edges (Gaussian);
5. post-processing: a consistent non-negative tree model (``estimate``) and forward sampling with rounding
   (``sample``).

Every measurement is recorded in a ``PrivacyLedger`` whose total equals the budget ρ. Noise here comes from
numpy's generator (continuous Gaussian); a production release should use discrete Gaussian noise from a
secure source and never pass a fixed seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .accounting import BudgetSplit, PrivacyLedger, rho_from_eps_delta, validate_epsilon_delta
from .estimate import estimate_total, fit_tree
from .measure import compress, measure_one_way, measure_two_way, noisy_count
from .sample import decompress, sample_tree
from .select import pair_scores, select_tree

__all__ = ["BudgetSplit", "SynthResult", "synthesize"]


@dataclass(frozen=True)
class SynthResult:
    """Synthetic columns with the privacy guarantee, the measurement ledger and the chosen tree."""

    columns: dict[str, np.ndarray]
    n_rows: int
    epsilon: float
    delta: float
    rho: float
    ledger: list[dict[str, Any]]
    tree: list[tuple[str, str]]
    seconds: float


def _validate(columns: dict[str, np.ndarray], domains: dict[str, int]) -> int:
    """Check shapes, dtypes and codes against the standard's domains; return the row count."""
    if not columns:
        raise ValueError("synthesize needs at least one column")
    missing = [name for name in columns if name not in domains]
    if missing:
        raise ValueError(f"no domain size for column(s) {missing}; take them from the standard")
    lengths = {len(np.asarray(col)) for col in columns.values()}
    if len(lengths) != 1:
        raise ValueError(f"columns have different lengths: {sorted(lengths)}")
    for name, col in columns.items():
        arr = np.asarray(col)
        size = domains[name]
        if not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(f"domain of {name!r} must be an integer >= 1, got {size!r}")
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"column {name!r} must be a 1-D array of integer codes, got {arr.dtype}")
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= size):
            raise ValueError(f"column {name!r} has codes outside 0..{size - 1} (domain from the standard)")
    return lengths.pop()


def synthesize(
    columns: dict[str, np.ndarray],
    domains: dict[str, int],
    *,
    epsilon: float = 4.0,
    delta: float = 1e-6,
    seed: int | None = None,
    n_rows: int | None = None,
    split: BudgetSplit | None = None,
) -> SynthResult:
    """An (ε, δ)-DP synthetic table with the same columns and domains (``n_rows`` defaults to the DP count)."""
    start = time.perf_counter()
    validate_epsilon_delta(epsilon, delta)
    n = _validate(columns, domains)
    if n_rows is not None and n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}")
    names = list(columns)
    data: dict[str, NDArray[np.int64]] = {k: np.asarray(v, dtype=np.int64) for k, v in columns.items()}
    sizes = {k: int(domains[k]) for k in names}
    rng = np.random.default_rng(seed)
    rho = rho_from_eps_delta(epsilon, delta)
    shares = (split or BudgetSplit()).shares(rho, has_edges=len(names) > 1)
    ledger = PrivacyLedger(rho)

    count, count_var = noisy_count(n, shares["count"], ledger, rng)
    noisy1, sigma1 = measure_one_way(data, sizes, shares["one_way"], ledger, rng)
    comps, one_way = {}, {}
    for name in names:
        comps[name], one_way[name] = compress(noisy1[name], sigma1)
    codes = {k: comps[k].to_compressed[data[k]] for k in names}
    csizes = {k: comps[k].compressed_size for k in names}

    tree: list[tuple[str, str]] = []
    if len(names) > 1:
        total = estimate_total(count, count_var, one_way, {}, 0.0)
        probs = {}
        for k in names:
            p = np.maximum(one_way[k].values, 0.0)
            probs[k] = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
        pairs, scores = pair_scores(codes, csizes, probs, total)
        tree = select_tree(names, pairs, scores, shares["select"], ledger, rng)
    two_way, sigma2 = measure_two_way(codes, csizes, tree, shares["two_way"], ledger, rng)

    model = fit_tree(one_way, two_way, sigma2, count, count_var)
    rows = round(model.total) if n_rows is None else int(n_rows)
    synth = sample_tree(model, names, tree, rows, rng)
    out = {}
    for k in names:
        dtype = np.result_type(np.asarray(columns[k]).dtype, np.min_scalar_type(sizes[k] - 1))
        out[k] = decompress(synth[k], comps[k], rng).astype(dtype)
    return SynthResult(
        columns=out,
        n_rows=rows,
        epsilon=float(epsilon),
        delta=float(delta),
        rho=rho,
        ledger=ledger.entries(),
        tree=tree,
        seconds=time.perf_counter() - start,
    )
