"""Post-processing: a consistent, non-negative tree model from the noisy measurements.

1. Total: inverse-variance combination of the DP row count and the totals of every noisy marginal.
2. Node marginals: per cell, the inverse-variance combination of the noisy 1-way and the row / column sums
   of each incident noisy 2-way (the best linear unbiased estimate on a tree), then projected onto
   {m >= 0, sum m = total}.
3. Edge tables: the Euclidean (least-squares) projection of each noisy 2-way onto the transportation
   polytope {X >= 0, X·1 = m_a, Xᵀ·1 = m_b}. Its solution is X = max(Y + α 1ᵀ + 1 βᵀ, 0); α and β are
   found by block coordinate ascent on the dual, each block being a vectorised simplex projection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray, project_to_simplex, simplex_thresholds
from .measure import OneWay

_MAX_SWEEPS = 300


@dataclass(frozen=True)
class TreeModel:
    """Node marginals and edge tables over compressed domains; the joint is their tree factorisation."""

    total: float
    nodes: dict[str, FloatArray]
    edges: dict[tuple[str, str], FloatArray]

    def conditional(self, parent: str, child: str) -> FloatArray:
        """P(child | parent) as a (|parent| × |child|) row-stochastic matrix."""
        table = (
            self.edges[(parent, child)] if (parent, child) in self.edges else self.edges[(child, parent)].T
        )
        rows = table.sum(axis=1, keepdims=True)
        fallback = self.nodes[child] / max(self.nodes[child].sum(), 1e-300)
        if self.nodes[child].sum() <= 0:
            fallback = np.full(len(fallback), 1.0 / len(fallback))
        safe = np.where(rows > 0, rows, 1.0)
        return np.where(rows > 0, table / safe, fallback[None, :])


def estimate_total(
    count: float,
    count_var: float,
    one_way: dict[str, OneWay],
    two_way: dict[tuple[str, str], FloatArray],
    sigma2: float,
) -> float:
    """Inverse-variance combination of independent unbiased estimates of the row count (clipped at 0)."""
    values, weights = [count], [1.0 / count_var]
    for m in one_way.values():
        values.append(float(m.values.sum()))
        weights.append(1.0 / float(m.variance.sum()))
    for y in two_way.values():
        values.append(float(y.sum()))
        weights.append(1.0 / (y.size * sigma2**2))
    w = np.asarray(weights)
    return max(float(np.dot(w, values) / w.sum()), 0.0)


def node_marginals(
    one_way: dict[str, OneWay], two_way: dict[tuple[str, str], FloatArray], sigma2: float, total: float
) -> dict[str, FloatArray]:
    """Best linear combination of all measurements of each node's marginal, projected onto the simplex."""
    num = {name: m.values / m.variance for name, m in one_way.items()}
    den = {name: 1.0 / m.variance for name, m in one_way.items()}
    for (a, b), y in two_way.items():
        var_a, var_b = y.shape[1] * sigma2**2, y.shape[0] * sigma2**2
        num[a] = num[a] + y.sum(axis=1) / var_a
        den[a] = den[a] + 1.0 / var_a
        num[b] = num[b] + y.sum(axis=0) / var_b
        den[b] = den[b] + 1.0 / var_b
    return {name: project_to_simplex(num[name] / den[name], total) for name in one_way}


def project_table(y: FloatArray, rows: FloatArray, cols: FloatArray, tol: float = 1e-6) -> FloatArray:
    """Least-squares projection of ``y`` onto {X >= 0, row sums = rows, column sums = cols}."""
    beta = np.zeros(y.shape[1])
    scale = max(float(rows.sum()), 1.0)
    x = y
    for _ in range(_MAX_SWEEPS):
        alpha = -simplex_thresholds(y + beta[None, :], rows)
        beta = -simplex_thresholds((y + alpha[:, None]).T, cols)
        x = np.maximum(y + alpha[:, None] + beta[None, :], 0.0)
        if np.abs(x.sum(axis=1) - rows).max() <= tol * scale:
            break
    return x


def fit_tree(
    one_way: dict[str, OneWay],
    two_way: dict[tuple[str, str], FloatArray],
    sigma2: float,
    count: float,
    count_var: float,
) -> TreeModel:
    """The consistent tree model from the noisy measurements (pure post-processing)."""
    total = estimate_total(count, count_var, one_way, two_way, sigma2)
    nodes = node_marginals(one_way, two_way, sigma2, total)
    edges = {(a, b): project_table(y, nodes[a], nodes[b]) for (a, b), y in two_way.items()}
    return TreeModel(total, nodes, edges)
