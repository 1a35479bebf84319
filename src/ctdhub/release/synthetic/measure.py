"""Noisy measurements (Gaussian mechanism, recorded in the ledger) and MST's domain compression.

Every function here that reads the confidential columns adds noise and records the ρ it spent; everything
else in the engine is post-processing of these measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray, IntArray, marginal_counts
from .accounting import PrivacyLedger, gaussian_sigma

_SUPPORT_SIGMAS = 3.0


@dataclass(frozen=True)
class Compression:
    """A column's domain after merging values whose noisy count is below 3σ into one "other" code."""

    size: int  # original domain size
    kept: IntArray  # original codes kept, in order; compressed code i means kept[i]
    rare: IntArray  # original codes merged into the "other" code (== len(kept)) when non-empty
    rare_weights: FloatArray  # how "other" is spread back over ``rare`` (noisy counts clipped at 0)
    to_compressed: IntArray  # original code -> compressed code

    @property
    def compressed_size(self) -> int:
        """Number of compressed codes."""
        return len(self.kept) + (1 if len(self.rare) else 0)


@dataclass(frozen=True)
class OneWay:
    """A noisy 1-way marginal over the compressed domain with the per-cell noise variance."""

    values: FloatArray
    variance: FloatArray


def noisy_count(n: int, rho: float, ledger: PrivacyLedger, rng: np.random.Generator) -> tuple[float, float]:
    """The DP row count n + N(0, σ²) and its variance."""
    sigma = gaussian_sigma(rho)
    ledger.spend("row count", "gaussian", rho, sigma=sigma, sensitivity=1.0)
    return float(n + rng.normal(0.0, sigma)), sigma**2


def measure_one_way(
    columns: dict[str, IntArray],
    domains: dict[str, int],
    rho: float,
    ledger: PrivacyLedger,
    rng: np.random.Generator,
) -> tuple[dict[str, FloatArray], float]:
    """Noisy counts of every value of every column (full standard domain), ρ split equally; returns σ too."""
    names = list(columns)
    rho_each = rho / len(names)
    sigma = gaussian_sigma(rho_each)
    out: dict[str, FloatArray] = {}
    for name in names:
        counts = marginal_counts([columns[name]], [domains[name]])
        out[name] = counts + rng.normal(0.0, sigma, size=counts.shape)
        ledger.spend(f"1-way marginal {name}", "gaussian", rho_each, sigma=sigma, sensitivity=1.0)
    return out, sigma


def compress(noisy: FloatArray, sigma: float) -> tuple[Compression, OneWay]:
    """MST's compression: values with a noisy count >= 3σ stay, the rest become one "other" code."""
    size = len(noisy)
    keep = noisy >= _SUPPORT_SIGMAS * sigma
    kept = np.flatnonzero(keep).astype(np.int64)
    rare = np.flatnonzero(~keep).astype(np.int64)
    to_compressed = np.full(size, len(kept), dtype=np.int64)
    to_compressed[kept] = np.arange(len(kept), dtype=np.int64)
    weights = np.maximum(noisy[rare], 0.0)
    if len(rare) and weights.sum() <= 0:
        weights = np.ones(len(rare))
    values = noisy[kept]
    variance = np.full(len(kept), sigma**2)
    if len(rare):
        values = np.append(values, noisy[rare].sum())
        variance = np.append(variance, len(rare) * sigma**2)
    comp = Compression(size, kept, rare, weights / max(weights.sum(), 1e-300), to_compressed)
    return comp, OneWay(values, variance)


def measure_two_way(
    codes: dict[str, IntArray],
    sizes: dict[str, int],
    edges: list[tuple[str, str]],
    rho: float,
    ledger: PrivacyLedger,
    rng: np.random.Generator,
) -> tuple[dict[tuple[str, str], FloatArray], float]:
    """Noisy 2-way marginals (compressed domains) on the selected edges, ρ split equally; returns σ too."""
    if not edges:
        return {}, 0.0
    rho_each = rho / len(edges)
    sigma = gaussian_sigma(rho_each)
    out: dict[tuple[str, str], FloatArray] = {}
    for a, b in edges:
        counts = marginal_counts([codes[a], codes[b]], [sizes[a], sizes[b]])
        out[(a, b)] = counts + rng.normal(0.0, sigma, size=counts.shape)
        ledger.spend(f"2-way marginal {a} x {b}", "gaussian", rho_each, sigma=sigma, sensitivity=1.0)
    return out, sigma
