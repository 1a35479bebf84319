"""Vectorised array helpers: marginal counts over combined codes, simplex projection, systematic rounding."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def combined_codes(cols: list[NDArray[np.integer]], sizes: list[int]) -> IntArray:
    """Mixed-radix code of each row over ``cols`` (first column most significant)."""
    n = len(cols[0]) if cols else 0
    out = np.zeros(n, dtype=np.int64)
    for col, size in zip(cols, sizes, strict=True):
        out *= size
        out += col
    return out


def marginal_counts(cols: list[NDArray[np.integer]], sizes: list[int]) -> FloatArray:
    """Counts of every cell of the marginal over ``cols``, shaped ``sizes`` (dense, from np.bincount)."""
    cells = int(np.prod(sizes, dtype=np.int64))
    counts = np.bincount(combined_codes(cols, sizes), minlength=cells).astype(np.float64)
    return counts.reshape(sizes)


def simplex_thresholds(v: FloatArray, totals: FloatArray) -> FloatArray:
    """θ per row such that max(v − θ, 0) is the Euclidean projection of the row onto {x >= 0, sum = total}."""
    v2 = np.atleast_2d(np.asarray(v, dtype=np.float64))
    t = np.broadcast_to(np.asarray(totals, dtype=np.float64), (v2.shape[0],))
    u = -np.sort(-v2, axis=1)
    css = np.cumsum(u, axis=1) - t[:, None]
    k = np.arange(1, v2.shape[1] + 1, dtype=np.float64)
    cond = u - css / k > 0
    # Number of positive entries of the projection: the last index where cond holds (a prefix).
    rho = v2.shape[1] - np.argmax(cond[:, ::-1], axis=1)
    theta = css[np.arange(v2.shape[0]), rho - 1] / rho
    # A zero total projects to zero: any threshold at or above the row maximum does.
    out: FloatArray = np.where(t <= 0, u[:, 0], theta)
    return out


def project_rows_to_simplex(v: FloatArray, totals: FloatArray) -> FloatArray:
    """Euclidean projection of each row of ``v`` onto {x >= 0, sum(x) = total} (sort-based, vectorised)."""
    v2 = np.atleast_2d(np.asarray(v, dtype=np.float64))
    if v2.shape[1] == 0:
        return v2.copy()
    return np.maximum(v2 - simplex_thresholds(v2, totals)[:, None], 0.0)


def project_to_simplex(v: FloatArray, total: float) -> FloatArray:
    """Euclidean projection of a vector onto {x >= 0, sum(x) = total}."""
    projected = project_rows_to_simplex(np.asarray(v, dtype=np.float64)[None, :], np.array([total]))
    row: FloatArray = projected[0]
    return row


def systematic_round(expected: FloatArray, rng: np.random.Generator) -> IntArray:
    """Integer counts per row with each cell the floor or ceiling of its expectation and row totals kept.

    Row totals of ``expected`` must be (close to) integers; systematic sampling with one uniform offset
    per row makes every cell's count unbiased and its variance at most 1/4 (vs. multinomial sampling).
    """
    e: FloatArray = np.atleast_2d(np.maximum(np.asarray(expected, dtype=np.float64), 0.0))
    totals: FloatArray = np.rint(e.sum(axis=1))
    cum = np.cumsum(e, axis=1)
    last = cum[:, -1:].copy()
    safe = np.where(last > 0, last, 1.0)
    cum = np.minimum(np.maximum.accumulate(cum * (totals[:, None] / safe), axis=1), totals[:, None])
    cum[:, -1] = totals
    offsets = rng.random((e.shape[0], 1))
    floors = np.floor(cum + offsets)
    counts = np.diff(floors, axis=1, prepend=np.zeros((e.shape[0], 1)))
    out: IntArray = counts.astype(np.int64)
    return out
