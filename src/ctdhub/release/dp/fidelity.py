"""Fidelity and disclosure metrics for synthetic microdata (integer-coded columns, vectorised).

* ``marginal_tvd`` — mean total-variation distance over k-way marginals (all, or a random sample);
* ``mean_abs_count_error`` — mean absolute cell error of k-way count tables, synthetic counts rescaled to
  the real row count;
* ``rare_combination_reproduction`` and ``exact_unique_copies`` — disclosure-side checks, each reported
  beside a reference: the same statistic between two random halves of the real data, i.e. what an
  independent fresh sample of the same population would show (scaled to comparable sizes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ctdhub.release.dp import kernels

Columns = Mapping[str, NDArray[np.integer[Any]]]

_DENSE_LIMIT = 1 << 22


def _n(cols: Columns) -> int:
    return len(next(iter(cols.values()))) if cols else 0


def _check_codes(tables: tuple[Columns, ...], domains: dict[str, int]) -> None:
    for table in tables:
        for name, col in table.items():
            if len(col) and (int(np.min(col)) < 0 or int(np.max(col)) >= domains[name]):
                raise ValueError(f"column {name!r} has codes outside 0..{domains[name] - 1}")


def _marginal_sets(names: list[str], way: int, max_sets: int | None, seed: int) -> list[tuple[str, ...]]:
    if not 1 <= way <= len(names):
        raise ValueError(f"way must be between 1 and the number of columns ({len(names)}), got {way}")
    total = math.comb(len(names), way)
    if max_sets is None or max_sets >= total:
        return list(combinations(names, way))
    if total <= 200_000:
        sets = list(combinations(names, way))
        idx = np.random.default_rng(seed).choice(total, size=max_sets, replace=False)
        return [sets[i] for i in sorted(idx)]
    rng = np.random.default_rng(seed)
    chosen: set[tuple[str, ...]] = set()
    while len(chosen) < max_sets:
        pick = rng.choice(len(names), size=way, replace=False)
        chosen.add(tuple(names[i] for i in sorted(pick)))
    return sorted(chosen)


def _dense_counts(cols: Columns, attrs: tuple[str, ...], sizes: list[int], cells: int) -> NDArray[np.float64]:
    """Counts of every cell of the ``attrs`` table (mixed radix, ``cells`` = product of ``sizes``); up to
    three attributes in one compiled pass (``kernels.radix_counts``), more through an index array."""
    if len(attrs) > 3:
        key = np.zeros(_n(cols), dtype=np.int64)
        for a, size in zip(attrs, sizes, strict=True):
            key = key * size + cols[a]
        return np.bincount(key, minlength=cells).astype(np.float64)
    empty = np.zeros(0, dtype=np.int64)
    first, second, third = (*(np.ascontiguousarray(cols[x]) for x in attrs), empty, empty)[:3]
    nb, nc = (*sizes[1:], 1, 1)[:2]
    counts = kernels.radix_counts(first, second, third, nb, nc, cells)
    out: NDArray[np.float64] = counts.astype(np.float64)
    return out


def _paired_counts(
    real: Columns, synth: Columns, attrs: tuple[str, ...], domains: dict[str, int]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Counts of the same cells in real and synthetic data (dense when small, else over observed cells)."""
    sizes = [int(domains[a]) for a in attrs]
    n_real = _n(real)
    if math.prod(sizes) <= _DENSE_LIMIT:
        cells = math.prod(sizes)
        return _dense_counts(real, attrs, sizes, cells), _dense_counts(synth, attrs, sizes, cells)
    stacked = np.stack([np.concatenate([real[a], synth[a]]).astype(np.int64) for a in attrs], axis=1)
    _, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    cells = int(inverse.max()) + 1 if inverse.size else 0
    return (
        np.bincount(inverse[:n_real], minlength=cells).astype(np.float64),
        np.bincount(inverse[n_real:], minlength=cells).astype(np.float64),
    )


def marginal_tvd(
    real: Columns,
    synth: Columns,
    domains: dict[str, int],
    way: int,
    max_sets: int | None = None,
    seed: int = 0,
) -> float:
    """Mean total-variation distance ½‖p − q‖₁ over all (or ``max_sets`` random) ``way``-column marginals."""
    if _n(real) == 0 or _n(synth) == 0:
        raise ValueError("marginal_tvd needs at least one real and one synthetic row")
    _check_codes((real, synth), domains)
    sets = _marginal_sets(list(real), way, max_sets, seed)
    tvds = np.empty(len(sets))
    for i, attrs in enumerate(sets):
        x, y = _paired_counts(real, synth, attrs, domains)
        tvds[i] = 0.5 * np.abs(x / x.sum() - y / y.sum()).sum()
    return float(tvds.mean())


def mean_abs_count_error(
    real: Columns,
    synth: Columns,
    domains: dict[str, int],
    way: int = 1,
    max_sets: int | None = None,
    seed: int = 0,
) -> float:
    """Mean |real count − synthetic count| over the cells of ``way``-column tables that occur in either table.

    Synthetic counts are rescaled to the real row count, so the figure reads in "persons" of the real data.
    """
    if _n(real) == 0 or _n(synth) == 0:
        raise ValueError("mean_abs_count_error needs at least one real and one synthetic row")
    _check_codes((real, synth), domains)
    scale = _n(real) / _n(synth)
    errors: list[float] = []
    for attrs in _marginal_sets(list(real), way, max_sets, seed):
        x, y = _paired_counts(real, synth, attrs, domains)
        seen = (x > 0) | (y > 0)
        errors.append(float(np.abs(x[seen] - scale * y[seen]).mean()))
    return float(np.mean(errors))


def _row_keys(*tables: Columns, attrs: list[str]) -> list[NDArray[np.int64]]:
    """Dense integer ids of the distinct rows over ``attrs``, shared by all ``tables``.

    Mixed-radix codes built column by column; whenever the next column could overflow int64 the codes
    are first compacted to dense ids (a 1-D ``np.unique``, far cheaper than a row-wise unique).
    """
    lengths = [_n(t) for t in tables]
    key = np.zeros(sum(lengths), dtype=np.int64)
    span = 1  # codes are < span
    for a in attrs:
        col = np.concatenate([t[a] for t in tables]).astype(np.int64)
        size = int(col.max(initial=0)) + 1
        if span * size >= 1 << 62:
            uniq, key = np.unique(key, return_inverse=True)
            key = key.ravel().astype(np.int64)
            span = len(uniq)
        key = key * size + col
        span *= size
    _, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.ravel().astype(np.int64)
    bounds = np.cumsum([0, *lengths])
    return [inverse[bounds[i] : bounds[i + 1]] for i in range(len(tables))]


def _halves(real: Columns, seed: int) -> tuple[Columns, Columns]:
    n = _n(real)
    perm = np.random.default_rng(seed).permutation(n)
    first, second = perm[: n // 2], perm[n // 2 :]
    return {k: v[first] for k, v in real.items()}, {k: v[second] for k, v in real.items()}


def _rare_share(real: Columns, synth: Columns, qis: list[str], threshold: int) -> tuple[float, int]:
    key_r, key_s = _row_keys(real, synth, attrs=qis)
    cells = int(max(key_r.max(initial=-1), key_s.max(initial=-1))) + 1
    counts_r = np.bincount(key_r, minlength=cells)
    present_s = np.bincount(key_s, minlength=cells) > 0
    rare = (counts_r > 0) & (counts_r < threshold)
    n_rare = int(rare.sum())
    return (float((rare & present_s).sum() / n_rare) if n_rare else 0.0), n_rare


def rare_combination_reproduction(
    real: Columns, synth: Columns, qis: list[str], threshold: int, seed: int = 0
) -> dict[str, float]:
    """Share of rare real combinations of ``qis`` (0 < count < threshold) that occur in the synthetic data.

    ``reference`` is the same share between two random halves of the real data (one half as "real", the
    other as "synthetic"): what a fresh sample of the same population reproduces.
    """
    if threshold < 1 or not qis:
        raise ValueError("threshold must be >= 1 and qis non-empty")
    value, n_rare = _rare_share({q: real[q] for q in qis}, {q: synth[q] for q in qis}, qis, threshold)
    half_a, half_b = _halves({q: real[q] for q in qis}, seed)
    reference, _ = _rare_share(half_a, half_b, qis, threshold) if _n(half_a) else (0.0, 0)
    return {"share": value, "n_rare": float(n_rare), "reference_share": reference}


def _unique_copies(real: Columns, synth: Columns) -> int:
    attrs = list(real)
    key_r, key_s = _row_keys(real, synth, attrs=attrs)
    cells = int(max(key_r.max(initial=-1), key_s.max(initial=-1))) + 1
    unique_real = np.bincount(key_r, minlength=cells) == 1
    return int(unique_real[key_s].sum())


def exact_unique_copies(real: Columns, synth: Columns, seed: int = 0) -> dict[str, float]:
    """Synthetic rows identical to a row that is unique in the real data, with a fresh-sample reference.

    ``share`` is copies per synthetic row; ``reference_share`` is the same between two random halves of the
    real data (rows of one half equal to a row unique in the other half, per row of that half).
    """
    copies = _unique_copies(real, synth) if _n(real) and _n(synth) else 0
    half_a, half_b = _halves(real, seed)
    ref = _unique_copies(half_a, half_b) if _n(half_a) and _n(half_b) else 0
    return {
        "copies": float(copies),
        "share": copies / _n(synth) if _n(synth) else 0.0,
        "reference_copies": float(ref),
        "reference_share": ref / _n(half_b) if _n(half_b) else 0.0,
    }
