"""Private choice of the tree: MST's Kruskal-style selection with the exponential mechanism.

Each candidate pair (a, b) is scored by ||x_ab − x̂_ab||₁, the L1 distance between the pair's true 2-way
counts and the product of the (post-processed) noisy 1-way marginals; adding or removing one row changes a
score by at most 1. The tree is grown by ``k − 1`` exponential-mechanism draws among the pairs that join two
different components, each ε = sqrt(8 ρ / (k − 1))-DP, i.e. ε²/8-zCDP.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from ._arrays import FloatArray, IntArray, marginal_counts
from .accounting import PrivacyLedger, em_epsilon, em_rho


def pair_scores(
    codes: dict[str, IntArray], sizes: dict[str, int], probs: dict[str, FloatArray], total: float
) -> tuple[list[tuple[str, str]], FloatArray]:
    """All pairs (in column order) with their L1 score against the independence estimate."""
    names = list(codes)
    pairs = list(combinations(names, 2))
    scores = np.empty(len(pairs), dtype=np.float64)
    for i, (a, b) in enumerate(pairs):
        x = marginal_counts([codes[a], codes[b]], [sizes[a], sizes[b]])
        xhat = total * np.outer(probs[a], probs[b])
        scores[i] = np.abs(x - xhat).sum()
    return pairs, scores


def exponential_mechanism(
    scores: FloatArray, epsilon: float, rng: np.random.Generator, sensitivity: float = 1.0
) -> int:
    """Index drawn with probability ∝ exp(ε·score / (2·sensitivity))."""
    logits = 0.5 * epsilon / sensitivity * scores
    probs = np.exp(logits - logits.max())
    return int(rng.choice(len(scores), p=probs / probs.sum()))


def select_tree(
    names: list[str],
    pairs: list[tuple[str, str]],
    scores: FloatArray,
    rho: float,
    ledger: PrivacyLedger,
    rng: np.random.Generator,
) -> list[tuple[str, str]]:
    """A spanning tree chosen edge by edge with the exponential mechanism (records ρ per draw)."""
    k = len(names)
    if k < 2:
        return []
    index = {name: i for i, name in enumerate(names)}
    left = np.array([index[a] for a, _ in pairs], dtype=np.int64)
    right = np.array([index[b] for _, b in pairs], dtype=np.int64)
    component = np.arange(k)
    eps = em_epsilon(rho, k - 1)
    rho_each = rho / (k - 1)
    tree: list[tuple[str, str]] = []
    for step in range(k - 1):
        open_ = np.flatnonzero(component[left] != component[right])
        chosen = int(open_[exponential_mechanism(scores[open_], eps, rng)])
        a, b = pairs[chosen]
        ledger.spend(
            f"edge selection {step + 1}/{k - 1}", "exponential", rho_each, epsilon=eps, sensitivity=1.0
        )
        component[component == component[right[chosen]]] = component[left[chosen]]
        tree.append((a, b))
    assert abs(em_rho(eps) - rho_each) <= 1e-12 * max(rho_each, 1.0)
    return tree
