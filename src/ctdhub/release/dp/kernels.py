"""Compiled loops of the DP engine (numba): counting marginals and the particle weight fit.

Written as explicit loops because they walk every record (or particle) once per measured marginal,
hundreds of marginals per release; numpy would allocate an index array per marginal and pass. They are
pure functions
of their array arguments.

Layout: ``codes`` is column-major: row c holds model attribute c (base then derived) of every particle
(int32), so a marginal's loop reads a few contiguous rows.
Marginal ``b`` covers columns ``cols[off[b]:off[b+1]]`` with mixed-radix ``strides``; its cells are
``cell_off[b]:cell_off[b+1]`` of the flat arrays ``y`` (noisy counts) and ``lam`` (dual variables).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_CLIP = 30.0


@njit(cache=True)
def solve_cell(a: float, y: float, s2: float) -> float:  # pragma: no cover - compiled
    """The λ with a·e^λ + s2·λ = y (a ≥ 0, s2 > 0): Newton from a point right of the root."""
    if a <= 0.0:
        lam = y / s2
    else:
        l2 = y / s2
        if y > 0.0:
            l1 = np.log(y / a)
            lam = min(l2, max(l1, 0.0))
        else:
            lam = l2
        for _ in range(60):
            e = a * np.exp(min(lam, 700.0))
            f = e + s2 * lam - y
            step = f / (e + s2)
            lam -= step
            if abs(step) < 1e-10:
                break
    return min(max(lam, -_CLIP), _CLIP)


@njit(cache=True)
def cell_indices(
    codes: np.ndarray, cols: np.ndarray, strides: np.ndarray, off: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Row b, column i: the cell of marginal b that particle i falls in (int32: cells per marginal are few)."""
    n = codes.shape[1]
    nb = off.shape[0] - 1
    out = np.empty((nb, n), dtype=np.int32)
    for b in range(nb):
        for i in range(n):
            k = 0
            for j in range(off[b], off[b + 1]):
                k += codes[cols[j], i] * strides[j]
            out[b, i] = k
    return out


@njit(cache=True)
def fit_sweeps(
    idx: np.ndarray,
    w: np.ndarray,
    cell_off: np.ndarray,
    y: np.ndarray,
    s2: np.ndarray,
    lam: np.ndarray,
    sweeps: int,
) -> float:  # pragma: no cover - compiled
    """Block coordinate ascent on the dual of min τ·KL(w‖w₀) + Σ‖Bw − y‖²/2σ²; returns the last max |Δλ|.

    ``idx`` is ``cell_indices`` of the particles: computed once, read once per marginal and sweep.
    Serial on purpose: a parallel version (numba prange over particle chunks) needs two barriers per
    marginal and sweep, and on a shared 2-core machine a descheduled thread made each barrier wait a time
    slice — the 1M-case release's fit went from about 40 s to 300 s (docs/benchmarks.md)."""
    nb, n = idx.shape
    biggest = 0.0
    for _ in range(sweeps):
        biggest = 0.0
        for b in range(nb):
            c0 = cell_off[b]
            m = cell_off[b + 1] - c0
            row = idx[b]
            # four interleaved partial sums: consecutive particles often fall in the same cell, and one
            # accumulator would chain every addition on the previous one's store
            part = np.zeros((4, m))
            n4 = n - n % 4
            for i in range(0, n4, 4):
                part[0, row[i]] += w[i]
                part[1, row[i + 1]] += w[i + 1]
                part[2, row[i + 2]] += w[i + 2]
                part[3, row[i + 3]] += w[i + 3]
            for i in range(n4, n):
                part[0, row[i]] += w[i]
            cur = part[0] + part[1] + part[2] + part[3]
            fac = np.empty(m)
            for c in range(m):
                old = lam[c0 + c]
                a = cur[c] * np.exp(-old)
                new = solve_cell(a, y[c0 + c], s2[b])
                d = new - old
                if cur[c] > 0.0 and abs(d) > biggest:
                    biggest = abs(d)
                fac[c] = np.exp(d)
                lam[c0 + c] = new
            for i in range(n):
                w[i] *= fac[row[i]]
    return biggest


@njit(cache=True)
def marginal_counts(
    codes: np.ndarray, cols: np.ndarray, strides: np.ndarray, off: np.ndarray, cell_off: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Counts of every cell of every marginal (flat, marginal b at ``cell_off[b]:cell_off[b+1]``)."""
    out = np.zeros(cell_off[-1], dtype=np.int64)
    n = codes.shape[1]
    for b in range(off.shape[0] - 1):
        c0 = cell_off[b]
        for i in range(n):
            k = 0
            for j in range(off[b], off[b + 1]):
                k += codes[cols[j], i] * strides[j]
            out[c0 + k] += 1
    return out


@njit(cache=True)
def solve_cells(a: np.ndarray, y: np.ndarray, s2: float) -> np.ndarray:  # pragma: no cover - compiled
    """``solve_cell`` over arrays of the same shape (flattened)."""
    af = a.ravel()
    yf = y.ravel()
    out = np.empty(af.shape[0])
    for i in range(af.shape[0]):
        out[i] = solve_cell(af[i], yf[i], s2)
    return out.reshape(a.shape)


@njit(cache=True)
def radix_counts(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, nb: int, nc: int, cells: int
) -> np.ndarray:  # pragma: no cover - compiled
    """Counts of the cells ``(a·nb + b)·nc + c`` (mixed radix) over the rows of up to three code columns
    (``b`` or ``c`` empty: that attribute is absent). Codes must be in range (the caller checks): one pass,
    no index array (the fidelity metrics count thousands of marginals of every record)."""
    out = np.zeros(cells, dtype=np.int64)
    n = a.shape[0]
    with_b = b.shape[0] == n
    with_c = c.shape[0] == n
    for i in range(n):
        k = np.int64(a[i])
        if with_b:
            k = k * nb + b[i]
        if with_c:
            k = k * nc + c[i]
        out[k] += 1
    return out
