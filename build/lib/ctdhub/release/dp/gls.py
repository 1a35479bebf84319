"""Generalised least squares over the measured marginals, in closed form, and its variances.

A table over attributes S splits into orthogonal *residual components*, one per subset A ⊆ S (the
ANOVA / Fourier decomposition of a product domain: the grand total, the main effects, the two-way
interactions...). A noisy marginal m with i.i.d. noise of variance σ² gives an independent estimate of
every component A ⊆ m, with variance σ² · Π_{i ∈ m∖A} n_i per cell of the A-marginal. The GLS estimate of
component A is the inverse-variance average of those estimates, and the estimate of any marginal whose
components are all measured is the sum of its components (this is the reconstruction of ResidualPlanner,
Xiao et al. 2023, for plain marginal measurements). The result is linear, unbiased and consistent: a
marginal of an estimated marginal is the estimated lower marginal.

``Estimate.variance`` gives the exact GLS variance of any sum of cells that is a product of value sets
(a year range × a set of countries × one gender...), which is what the published intervals use.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Clique = tuple[str, ...]


@dataclass(frozen=True)
class Measurement:
    """A noisy marginal: attributes, noisy counts (C-order over the attributes' model codes) and σ."""

    attrs: Clique
    noisy: FloatArray
    sigma: float

    def table(self, sizes: Mapping[str, int]) -> FloatArray:
        out: FloatArray = np.asarray(self.noisy, dtype=np.float64).reshape([sizes[a] for a in self.attrs])
        return out


def _center(t: FloatArray) -> FloatArray:
    for axis in range(t.ndim):
        t = t - t.mean(axis=axis, keepdims=True)
    return t


def _subsets(n: int) -> Iterable[tuple[int, ...]]:
    for k in range(n + 1):
        yield from itertools.combinations(range(n), k)


class Estimate:
    """Residual components (value, variance) of every attribute set below a measured marginal."""

    def __init__(self, measurements: Sequence[Measurement], sizes: Mapping[str, int]) -> None:
        self.sizes = dict(sizes)
        acc: dict[Clique, list[object]] = {}
        for m in measurements:
            t = m.table(sizes)
            dims = [sizes[a] for a in m.attrs]
            for keep in _subsets(len(m.attrs)):
                drop = tuple(i for i in range(len(m.attrs)) if i not in keep)
                u = t.sum(axis=drop) if drop else t
                names = [m.attrs[i] for i in keep]
                key = tuple(sorted(names))
                if names:
                    u = np.transpose(u, [names.index(a) for a in key])
                u = _center(np.asarray(u, dtype=np.float64))
                var = m.sigma**2 * math.prod(dims[i] for i in drop)
                slot = acc.setdefault(key, [0.0, 0.0])
                slot[0] = slot[0] + u / var  # type: ignore[operator]
                slot[1] = float(slot[1]) + 1.0 / var  # type: ignore[arg-type]
        self.components: dict[Clique, tuple[FloatArray, float]] = {
            k: (np.asarray(num) / float(den), 1.0 / float(den))  # type: ignore[arg-type]
            for k, (num, den) in acc.items()
        }

    def measured(self, attrs: Iterable[str]) -> bool:
        """Whether every component of the marginal over ``attrs`` was measured (it is in the closure)."""
        a = tuple(sorted(set(attrs)))
        return all(
            tuple(sorted(c)) in self.components
            for k in range(len(a) + 1)
            for c in itertools.combinations(a, k)
        )

    def marginal(self, attrs: Clique) -> FloatArray:
        """The GLS estimate of the marginal over ``attrs`` (in that order); unmeasured components are 0."""
        dims = [self.sizes[a] for a in attrs]
        out = np.zeros(dims)
        for keep in _subsets(len(attrs)):
            key = tuple(sorted(attrs[i] for i in keep))
            comp = self.components.get(key)
            if comp is None:
                continue
            r = comp[0]
            names = [attrs[i] for i in keep]
            if names:
                r = np.transpose(r, [key.index(a) for a in names])
            shape = [dims[i] if i in keep else 1 for i in range(len(attrs))]
            spread = math.prod(dims[i] for i in range(len(attrs)) if i not in keep)
            out = out + np.reshape(r, shape) / spread
        return out

    def variances(self) -> ComponentVariances:
        """The variances alone (what a release publishes to compute intervals)."""
        return ComponentVariances(dict(self.sizes), {k: v for k, (_, v) in self.components.items()})

    def variance(self, selection: Mapping[str, int]) -> tuple[float, bool]:
        """See ``ComponentVariances.variance``."""
        return self.variances().variance(selection)


@dataclass(frozen=True)
class ComponentVariances:
    """GLS variance V_A of every measured residual component A, and the model domain sizes."""

    sizes: dict[str, int]
    components: dict[Clique, float]

    def variance(self, selection: Mapping[str, int]) -> tuple[float, bool]:
        """GLS variance of the sum of cells where each attribute in ``selection`` takes one of k values.

        ``selection`` maps attribute -> k (how many of its n values the query keeps; attributes not listed,
        or with k = n, are summed over). For a product of value sets the variance is
        Σ_A V_A · Π_{i∈A} k_i(1 − k_i/n_i) · Π_{i∈S∖A} (k_i/n_i)². Returns (variance, measured):
        ``measured`` is False when a component the query depends on was never measured (the model then
        supplies it, and the variance covers the measured part only).
        """
        attrs = [a for a, k in selection.items() if 0 < k < self.sizes[a]]
        total = 0.0
        measured = True
        for keep in _subsets(len(attrs)):
            key = tuple(sorted(attrs[i] for i in keep))
            var = self.components.get(key)
            if var is None:
                measured = False
                continue
            coef = 1.0
            for i, a in enumerate(attrs):
                n, k = self.sizes[a], selection[a]
                coef *= k * (1 - k / n) if i in keep else (k / n) ** 2
            total += var * coef
        return total, measured
