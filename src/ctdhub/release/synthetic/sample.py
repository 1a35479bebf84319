"""Forward sampling along the tree with per-parent-value rounding, then domain decompression.

The root gets round(n·P(root)) rows of each value; every child, for each parent value v held by n_v rows,
gets round(n_v·P(child | v)) rows of each value (systematic rounding keeps totals exact and each count
unbiased), assigned to the parent group's rows in random order. Rounding instead of i.i.d. draws removes
most of the sampling noise a synthetic file would otherwise add on top of the privacy noise.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ._arrays import IntArray, systematic_round
from .estimate import TreeModel
from .measure import Compression


def tree_order(names: list[str], edges: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """A root (highest degree) and the (parent, child) pairs in breadth-first order."""
    neighbours: dict[str, list[str]] = {name: [] for name in names}
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    root = max(names, key=lambda name: len(neighbours[name]))
    order: list[tuple[str, str]] = []
    seen, queue = {root}, deque([root])
    while queue:
        parent = queue.popleft()
        for child in neighbours[parent]:
            if child not in seen:
                seen.add(child)
                order.append((parent, child))
                queue.append(child)
    return root, order


def _spread(counts: IntArray, groups: IntArray, rng: np.random.Generator) -> IntArray:
    """Child codes for rows grouped by ``groups``: group g gets counts[g, j] rows of code j, shuffled."""
    n = len(groups)
    perm = rng.permutation(n)
    order = perm[np.argsort(groups[perm], kind="stable")]
    width = counts.shape[1]
    codes = np.repeat(np.tile(np.arange(width, dtype=np.int64), counts.shape[0]), counts.ravel())
    out = np.empty(n, dtype=np.int64)
    out[order] = codes
    return out


def sample_tree(
    model: TreeModel, names: list[str], edges: list[tuple[str, str]], n_rows: int, rng: np.random.Generator
) -> dict[str, IntArray]:
    """Synthetic rows over the compressed domains."""
    root, order = tree_order(names, edges)
    p_root = model.nodes[root]
    p_root = p_root / p_root.sum() if p_root.sum() > 0 else np.full(len(p_root), 1.0 / len(p_root))
    counts = systematic_round((n_rows * p_root)[None, :], rng)
    out = {root: _spread(counts, np.zeros(n_rows, dtype=np.int64), rng)}
    for parent, child in order:
        cond = model.conditional(parent, child)
        group_sizes = np.bincount(out[parent], minlength=cond.shape[0]).astype(np.float64)
        counts = systematic_round(group_sizes[:, None] * cond, rng)
        out[child] = _spread(counts, out[parent], rng)
    return {name: out[name] for name in names}


def decompress(codes: IntArray, comp: Compression, rng: np.random.Generator) -> IntArray:
    """Original codes: kept values map back one to one, "other" is spread over the rare values by weight."""
    out = np.empty(len(codes), dtype=np.int64)
    other = codes == len(comp.kept)
    out[~other] = comp.kept[codes[~other]]
    n_other = int(other.sum())
    if n_other:
        counts = systematic_round((n_other * comp.rare_weights)[None, :], rng)
        spread = _spread(counts, np.zeros(n_other, dtype=np.int64), rng)
        out[other] = comp.rare[spread]
    return out
