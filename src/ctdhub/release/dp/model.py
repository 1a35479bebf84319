"""Estimate one consistent, non-negative model from the noisy marginals, as integer microdata.

The model is a weighted set of *particles* (records over the model attributes). Its weights solve

    min_w  τ·KL(w ‖ w₀) + Σ_m ‖B_m w − y_m‖² / (2σ_m²),   w ≥ 0,

where B_m w is the particles' marginal m and y_m its noisy measurement: the least-squares fit to every
measurement at once, each weighted by its precision, with a small entropy term that keeps what the
measurements do not determine close to the proposal (maximum entropy). It is solved by exact block
coordinate ascent on the dual (one block per marginal; ``kernels.fit_sweeps``), which keeps w > 0.

Particles come from a proposal built to cover what the measurements describe:

1. the *dense core*: the same fit over every cell of year × country of exploitation × citizenship ×
   gender × age band (× contributor, while the table stays small), computed with array reductions;
   particles' core values are drawn from it;
2. the other single attributes, each from the GLS marginals linking it to what is already drawn;
3. each flag family as a pattern: how many flags are set, which ones, 0 or unknown for the rest.

Cells that the GLS estimate says are empty are fitted to zero (``_sparse_targets``), the weights are
raked to the GLS one-way marginals (``_calibrate``), and are finally rounded to whole records by
systematic rounding along a sort by year, country, gender and age (nested totals kept to within one
record); merged rare values are spread back by the caller.

Everything here reads only the measurements: it is post-processing, and its random choices need no
secure source (they come from a generator the caller seeds from the operating system).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ctdhub.release.dp import kernels
from ctdhub.release.dp.gls import Estimate, Measurement
from ctdhub.release.dp.space import Codes, ModelSpace, narrow

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TAU = 0.03  # weight of the entropy term relative to the measurements (scales every σ² in the dual)
SORT_KEYS = ("yearOfRegistration", "CountryOfExploitation", "citizenship", "gender", "ageBroad")


@dataclass(frozen=True)
class FitSettings:
    """Sizes and iteration counts of the fit (defaults measured on the CTDC 2021 file and the demo)."""

    particles: int = 150_000  # at most this many proposal draws (duplicates merge)
    min_particles: int = 20_000
    per_record: float = 4.0  # proposal draws per (estimated) record, between the two bounds
    # CTDC 2021 file, p95 relative error of the published table cells >= 1,000 (GLS alone: about 1.9 %):
    # 80 sweeps 2.15-2.3 %, 150 sweeps 1.9-1.95 %, 200 sweeps 1.9-1.96 %; with the interleaved sums of
    # ``kernels.fit_sweeps`` 150 sweeps of 100,000 particles take 12 s (80 took 13 s before), and 200
    # sweeps put the whole model at 30.1 s, beyond the 30 s target; measured 2026-12-02
    sweeps: int = 150
    core_sweeps: int = 12
    calibration_sweeps: int = 10


@dataclass
class _Blocks:
    cols: NDArray[np.int64]
    strides: NDArray[np.int64]
    off: NDArray[np.int64]
    cell_off: NDArray[np.int64]
    y: FloatArray
    s2: FloatArray


ZERO_SDS = 2.0


def _sparse_targets(measurements: list[Measurement], est: Estimate) -> list[Measurement]:
    """What the weights are fitted to: each measured marginal's GLS estimate, with probably empty cells
    set to zero.

    The GLS estimates pool every measurement into one consistent set of marginals (each the best linear
    unbiased estimate of its cells), so the fit chases targets that agree with each other instead of
    trading the conflicting noise of overlapping measurements against each other; on the CTDC 2021 file
    this lowered the 95th-percentile error of table cells of 1,000 and more by about 0.1 point at the
    same number of sweeps. Negative estimates become 0. In a table with many more cells than records,
    the noise on empty cells adds up to more than the records themselves, and a non-negative fit can only
    match positive noise by inventing records: a cell whose GLS estimate is below ``ZERO_SDS`` standard
    deviations is fitted to zero; the records it would have held stay in the totals (the one-way
    calibration keeps them) and go to cells the measurements support.
    """
    out = []
    for m in measurements:
        g = est.marginal(m.attrs).ravel()
        if len(m.attrs) < 2:
            out.append(Measurement(m.attrs, np.maximum(g, 0.0), m.sigma))
            continue
        sd = math.sqrt(est.variance({a: 1 for a in m.attrs})[0])
        out.append(Measurement(m.attrs, np.where(g >= ZERO_SDS * sd, np.maximum(g, 0.0), 0.0), m.sigma))
    return out


def _blocks(measurements: list[Measurement], columns: dict[str, int], sizes: dict[str, int]) -> _Blocks:
    cols: list[int] = []
    strides: list[int] = []
    off = [0]
    cell_off = [0]
    ys: list[FloatArray] = []
    s2: list[float] = []
    for m in measurements:
        dims = [sizes[a] for a in m.attrs]
        stride = 1
        st = []
        for d in reversed(dims):
            st.append(stride)
            stride *= d
        cols += [columns[a] for a in m.attrs]
        strides += list(reversed(st))
        off.append(len(cols))
        cell_off.append(cell_off[-1] + int(np.prod(dims, dtype=np.int64)))
        ys.append(np.asarray(m.noisy, dtype=np.float64).ravel())
        s2.append(TAU * m.sigma**2)
    return _Blocks(
        np.asarray(cols, dtype=np.int64),
        np.asarray(strides, dtype=np.int64),
        np.asarray(off, dtype=np.int64),
        np.asarray(cell_off, dtype=np.int64),
        np.concatenate(ys) if ys else np.zeros(0),
        np.asarray(s2, dtype=np.float64),
    )


def _debug(msg: str) -> None:
    if os.environ.get("CTDHUB_DEBUG_FIT"):  # timings of the fit's stages, for profiling
        print("[fit]", msg, flush=True)


def _expert_logp(
    space: ModelSpace,
    est: Estimate,
    measurements: list[Measurement],
    x: str,
    known: Codes,
    n: int,
    given: str | None = None,
) -> NDArray[np.float32]:
    """log P(x | what is known) per particle: the GLS one-way (or, with ``given``, the GLS conditional
    on that one attribute, at full strength), tilted by the geometric mean of one expert per other
    measured marginal linking x to known attributes (their product would double-count)."""
    sizes = space.sizes
    nx = sizes[x]
    p1 = np.maximum(est.marginal((x,)), 0.0) + 1e-3
    p1 /= p1.sum()
    logp = np.tile(np.log(p1).astype(np.float32), (n, 1))
    used: set[tuple[str, ...]] = set()
    if given is not None:
        t = np.maximum(est.marginal((given, x)), 0.0) + 1e-3
        cond = t / t.sum(axis=1, keepdims=True)
        logp = np.log(cond).astype(np.float32)[known[given]]
        used.add((given,))
    experts = np.zeros((n, nx), dtype=np.float32)
    n_given = len(used)
    for m in measurements:
        if x not in m.attrs or any(a != x and a not in known for a in m.attrs):
            continue
        parents = tuple(a for a in m.attrs if a != x)
        if not parents or parents in used:
            continue
        used.add(parents)
        t = est.marginal((*parents, x)).reshape(-1, nx)
        sd = math.sqrt(est.variance(dict.fromkeys((*parents, x), 1))[0])
        t = np.where(t > 2.0 * sd, t, 0.0)
        rows = t.sum(axis=1, keepdims=True)
        cond = np.where(rows > 1e-6, t / np.maximum(rows, 1e-12), p1[None, :])
        cond = 0.999 * cond + 0.001 * p1[None, :]
        ratio = np.clip(np.log(cond / p1[None, :]), -8.0, 5.0).astype(np.float32)
        idx = np.zeros(n, dtype=np.int64)
        for a in parents:
            idx = idx * sizes[a] + known[a]
        experts += ratio[idx]
    out: NDArray[np.float32] = logp + experts / np.float32(np.sqrt(max(len(used) - n_given, 1)))
    if x in space.required:
        out[:, nx - 1] = -np.inf
    return out


def _draw(logp: NDArray[np.float32], rng: np.random.Generator) -> IntArray:
    p = np.exp(logp - logp.max(axis=1, keepdims=True))
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(p), dtype=np.float32) * cum[:, -1]
    out: IntArray = np.minimum((u[:, None] > cum).sum(axis=1), p.shape[1] - 1).astype(np.int64)
    return out


def _with_derived(space: ModelSpace, cols: Codes) -> Codes:
    known = dict(cols)
    for name, d in space.derived.items():
        if all(b in cols for b in d.base):
            known[name] = d.compute(cols)
    return known


def _proposal(
    space: ModelSpace,
    est: Estimate,
    measurements: list[Measurement],
    n: int,
    rng: np.random.Generator,
    start: Codes,
    families: list[tuple[str, tuple[str, ...], tuple[str, ...]]],
) -> Codes:
    """Particles for the attributes not in ``start`` (the dense core), drawn given it.

    Single attributes are drawn one by one from ``_expert_logp``. A flag family is drawn as a pattern:
    first how many of its flags are set (from the marginals of that count), then which ones (Gumbel top-k
    over P(flag = 1 | count) tilted by the flag's other experts), then 0 or unknown for the rest (from
    P(flag | count)) — so that single-flag cases, multi-flag cases and unrecorded families keep their
    shapes, which flags drawn one at a time do not.
    """
    cols: Codes = dict(start)
    in_family = {m for _, members, _ in families for m in members}
    singles = sorted(
        (a for a in space.base if a not in cols and a not in in_family), key=lambda a: -space.size(a)
    )
    for x in singles:
        cols[x] = _draw(_expert_logp(space, est, measurements, x, _with_derived(space, cols), n), rng)
    for count_name, members, substantive in families:
        known = _with_derived(space, cols)
        count = _draw(_expert_logp(space, est, measurements, count_name, known, n), rng)
        known[count_name] = count
        cap = space.size(count_name) - 1
        keys = np.full((n, len(substantive)), -np.inf, dtype=np.float32)
        extra = np.zeros((n, len(substantive)), dtype=bool)
        for j, f in enumerate(substantive):
            lp = _expert_logp(space, est, measurements, f, known, n, given=count_name)
            log1 = lp[:, 1] - np.logaddexp(np.logaddexp(lp[:, 0], lp[:, 1]), lp[:, 2])  # log P(flag = 1)
            keys[:, j] = log1
            # beyond the cap ("3 or more"), each further flag is set with its own probability
            extra[:, j] = rng.random(n) < np.exp(log1)
        keys += rng.gumbel(size=keys.shape).astype(np.float32)
        rank = np.argsort(-keys, axis=1).argsort(axis=1)
        chosen = (rank < count[:, None]) | ((count == cap)[:, None] & extra)
        for f in members:
            lp = _expert_logp(space, est, measurements, f, known, n, given=count_name)
            if f in substantive:
                lp[:, 1] = -np.inf
                draw = _draw(lp, rng)
                cols[f] = np.where(chosen[:, substantive.index(f)], 1, draw)
            else:
                cols[f] = _draw(lp, rng)
    return cols


CORE = ("yearOfRegistration", "CountryOfExploitation", "citizenship", "gender", "ageBroad", "contributor")
CORE_LIMIT = 16_000_000  # cells of the dense core table (float32: 64 MB)


def _dense_core(
    space: ModelSpace, measurements: list[Measurement], total: float, sweeps: int
) -> tuple[list[str], NDArray[np.float32]]:
    """The max-entropy / least-squares fit of the measured marginals over the core attributes, densely.

    The same dual coordinate ascent as ``kernels.fit_sweeps`` with every cell of the core domain as a
    particle, done with array reductions: it gives the particles a support on which every combination of
    year, countries, gender and age the measurements call for is present.
    """
    sizes = space.sizes
    core = [a for a in CORE if a in space.domains]
    while core and int(np.prod([sizes[a] for a in core], dtype=np.int64)) > CORE_LIMIT:
        core.pop()
    shape = [sizes[a] for a in core]
    x = np.full(shape, max(total, 1.0) / max(int(np.prod(shape, dtype=np.int64)), 1), dtype=np.float32)
    for i, a in enumerate(core):
        if a in space.required:  # its unknown code holds no record (multiplicative updates keep zeros)
            idx = [slice(None)] * len(core)
            idx[i] = slice(sizes[a] - 1, sizes[a])
            x[tuple(idx)] = 0.0
    blocks = []
    for m in measurements:
        if not m.attrs or not set(m.attrs) <= set(core):
            continue
        axes = sorted(core.index(a) for a in m.attrs)
        names = [core[i] for i in axes]
        y = np.transpose(m.table(sizes), [m.attrs.index(a) for a in names])
        blocks.append((axes, y, TAU * m.sigma**2, np.zeros(y.shape)))
    for _ in range(sweeps):
        for axes, y, s2, lam in blocks:
            other = tuple(i for i in range(len(core)) if i not in axes)
            cur = x.sum(axis=other).astype(np.float64)
            a = cur * np.exp(-lam)
            new = kernels.solve_cells(np.ascontiguousarray(a), np.ascontiguousarray(y, dtype=np.float64), s2)
            shape_b = [shape[i] if i in axes else 1 for i in range(len(core))]
            x *= np.exp(new - lam).astype(np.float32).reshape(shape_b)
            lam[...] = new
    return core, x


def _unique_rows(codes: NDArray[np.int32]) -> NDArray[np.int32]:
    """Distinct particles (columns of the column-major ``codes``), in first-seen order."""
    rows = np.ascontiguousarray(codes.T)
    view = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1])))
    _, first = np.unique(view, return_index=True)
    out: NDArray[np.int32] = np.ascontiguousarray(codes[:, np.sort(first)])
    return out


def _systematic(w: FloatArray, k: int, rng: np.random.Generator) -> IntArray:
    """k indices drawn ∝ w by systematic resampling."""
    cum = np.cumsum(w)
    cum /= cum[-1]
    pos = (rng.random() + np.arange(k)) / k
    out: IntArray = np.minimum(np.searchsorted(cum, pos), len(w) - 1).astype(np.int64)
    return out


def fit_model(
    space: ModelSpace,
    measurements: list[Measurement],
    est: Estimate,
    rng: np.random.Generator,
    family_members: dict[str, tuple[str, ...]],
    settings: FitSettings | None = None,
) -> tuple[Codes, int]:
    """Integer microdata (model codes of the base attributes) and its row count, from the measurements."""
    cfg = settings or FitSettings()
    names = [*space.base, *space.derived]
    columns = {a: i for i, a in enumerate(names)}
    sizes = space.sizes
    total = max(float(est.marginal(()).sum()), 0.0)
    blocks = _blocks(_sparse_targets(measurements, est), columns, sizes)

    def matrix(c: Codes) -> NDArray[np.int32]:
        full = space.with_derived(c)
        return np.stack([full[a] for a in names], axis=0).astype(np.int32)

    n0 = int(min(max(cfg.min_particles, cfg.per_record * total), cfg.particles))
    t = time.perf_counter()
    core, dense = _dense_core(space, measurements, total, cfg.core_sweeps)
    flat = dense.ravel().astype(np.float64)
    pick = _systematic(flat, n0, rng)
    start = dict(zip(core, np.unravel_index(pick, dense.shape), strict=True))
    _debug(f"dense core {core} {dense.size} cells: {time.perf_counter() - t:.1f} s")
    families = [
        (name, tuple(d.base) + tuple(m for m in family_members[name] if m not in d.base), tuple(d.base))
        for name, d in space.derived.items()
        if d.cap > 1
    ]
    core_codes = {a: np.asarray(v, dtype=np.int64) for a, v in start.items()}
    t = time.perf_counter()
    parts = _unique_rows(matrix(_proposal(space, est, measurements, n0, rng, core_codes, families)))
    _debug(f"proposal: {time.perf_counter() - t:.1f} s")
    lam = np.zeros(len(blocks.y))
    w = np.full(parts.shape[1], max(total, 1.0) / parts.shape[1])
    t = time.perf_counter()
    idx = kernels.cell_indices(parts, blocks.cols, blocks.strides, blocks.off)
    step = kernels.fit_sweeps(idx, w, blocks.cell_off, blocks.y, blocks.s2, lam, cfg.sweeps)
    del idx
    _debug(f"first fit: {parts.shape[1]} particles, max step {step:.3g}, {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    w = _calibrate(parts, w, measurements, est, columns, sizes, set(space.base), cfg.calibration_sweeps)
    _debug(f"calibration: {time.perf_counter() - t:.1f} s")
    rows = round(float(w.sum()))
    counts = _round_weights(parts, w, [columns[a] for a in SORT_KEYS if a in columns], rows, rng)
    picked = np.repeat(np.arange(parts.shape[1]), counts)
    out = {a: narrow(parts[columns[a], picked], sizes[a]) for a in space.base}
    return out, rows


def _calibrate(
    parts: NDArray[np.int32],
    w: FloatArray,
    measurements: list[Measurement],
    est: Estimate,
    columns: dict[str, int],
    sizes: dict[str, int],
    base: set[str],
    sweeps: int,
) -> FloatArray:
    """Rake the weights to the GLS estimates of every attribute's one-way marginal.

    The least-squares fit with w ≥ 0 is biased upwards where tables are sparse (noise on empty cells can
    only be matched by adding records); summed over many cells that bias shows in totals and regions.
    The GLS estimates are unbiased, and for one-way marginals precise, so the weights are raked
    (iterative proportional fitting) to match them: the bias moves into the detailed cells, where the
    noise is larger anyway. (Raking to two-way marginals as well was tried: it cycles between them and
    made the three-way tables worse.)
    """
    # base attributes only: a derived attribute (a region, "any information") is a function of base ones,
    # and its separately measured one-way would pull against theirs
    anchors = sorted({(a,) for m in measurements for a in m.attrs if a in base})
    plan = []
    total = max(float(est.marginal(()).sum()), 0.0)
    for attrs in anchors:
        idx = np.zeros(parts.shape[1], dtype=np.int64)
        for a in attrs:
            idx = idx * sizes[a] + parts[columns[a]]
        target = np.maximum(est.marginal(attrs).ravel(), 0.0)
        # every target keeps the same total: clipping negative cells would otherwise give each one a
        # different total, and raking would cycle between them instead of converging
        target *= total / max(float(target.sum()), 1e-9)
        plan.append((idx, target))
    w = w.copy()
    for _ in range(sweeps):
        for idx, target in plan:
            cur = np.bincount(idx, weights=w, minlength=len(target))
            factor = np.where(cur > 1e-9, target / np.maximum(cur, 1e-9), 1.0)
            w *= factor[idx]
    return w


def _round_weights(
    parts: NDArray[np.int32], w: FloatArray, keys: list[int], rows: int, rng: np.random.Generator
) -> IntArray:
    """Whole-record counts per particle summing to ``rows``: systematic rounding along a nested sort."""
    if rows <= 0 or len(w) == 0:
        return np.zeros(len(w), dtype=np.int64)
    order = np.lexsort([parts[k] for k in reversed(keys)]) if keys else np.arange(len(w))
    cum = np.cumsum(w[order])
    cum *= rows / cum[-1]
    offset = rng.random()
    floors = np.floor(cum + offset)
    counts_sorted = np.diff(floors, prepend=np.floor(offset)).astype(np.int64)
    counts = np.empty(len(w), dtype=np.int64)
    counts[order] = counts_sorted
    return counts
