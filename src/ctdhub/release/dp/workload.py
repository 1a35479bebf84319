"""The declared workload: which marginals are measured, and with how much of the budget each.

The public tables (``ctdhub.release.aggregates.default_specs``: every table the dashboard, the API and the
briefings read, 1- to 3-way, including country × year × gender / age band / type of exploitation on both
the exploitation and the citizenship side) are translated into *marginals of model attributes*: a flag
family becomes one marginal per member flag plus one over "any information in the family". Marginals the
synthetic generator needs beyond those (each family's flags as a chain, the fields no table shows) are
added with a lower weight. In a release whose records are linked to persons, the one-way marginal of
``personRecords`` (how many measured records each record's person has) is measured too, with a high
weight: the published persons estimate rests on it alone.

The budget is then split by a data-independent design: the precision 1/σ² of each measured marginal is
chosen to minimise the weighted sum of the workload's mean cell variances under the generalised least
squares estimate (``ctdhub.release.dp.gls``), subject to Σ 1/(2σ²) = ρ. The design depends only on the
marginals and the (compressed) domain sizes, which are public, so it spends no budget.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from ctdhub.release.aggregates import TableSpec, default_specs
from ctdhub.release.dp.space import CONTRIBUTOR, PERSON_RECORDS, any_attr, count_attr
from ctdhub.standard import Standard
from ctdhub.standard.dimensions import YEAR

Clique = tuple[str, ...]
FloatArray = NDArray[np.float64]
FIDELITY_WEIGHT = 0.3
# Objective weight of a marginal ∝ (number of cells)^SIZE_POWER: a table's mean cell variance counts for
# more when the table is larger, i.e. the objective sits between "every table equal" (0) and "every
# cell equal" (1). 0.5 gave the lowest relative errors on the cells of 100 and more in the CTDC file
# and the demo data (docs/benchmarks.md).
SIZE_POWER = 0.5
# Objective weight of the one-way marginal of personRecords, the only measurement the persons estimate
# rests on (persons ≈ records − n₂/2 − 2n₃/3 − …, so its noise goes straight into the headline figure). At 1
# (a table's weight) its σ was that of a typical table (≈100 on the demo hub at ε = 4 with k = 3, an sd of
# ≈80 persons); at 200 it is about a quarter of that (≈27), for ≈2 % of the budget: every other σ grows
# by about 1 %.
PERSONS_WEIGHT = 200.0
EXTRA_FIELDS = ("majorityStatusAtExploit", "majorityEntry", "traffickMonths", "isAbduction")


def table_marginals(dims: Sequence[str], std: Standard) -> list[Clique]:
    """The model marginals one public table is made of (a flag family: one per flag, plus any-info)."""
    fams = {f.name: f for f in std.families}
    simple = tuple(d for d in dims if d not in fams)
    fam = [d for d in dims if d in fams]
    if not fam:
        return [simple]
    f = fams[fam[0]]
    return [(*simple, m) for m in (*f.members, any_attr(f.name))]


def fidelity_marginals(std: Standard, base: Iterable[str]) -> list[Clique]:
    """What the synthetic rows need beyond the tables: within each flag family, each flag against how many
    flags are set (which keeps whole patterns — one flag, a few, none, not recorded — together), and the
    fields no table shows."""
    present = set(base)
    out: list[Clique] = []
    for fam in std.families:
        count = count_attr(fam.name)
        out += [(count, m) for m in fam.members]
        # which flags a contributor records at all (unknown vs 0) is a property of the contributor
        out += [(CONTRIBUTOR, m) for m in fam.members]
        out += [(YEAR, count), (CONTRIBUTOR, count), ("gender", count)]
    anys = [any_attr(f.name) for f in std.families]
    out += list(itertools.combinations(anys, 2))
    for extra in EXTRA_FIELDS:
        if extra in present:
            out += [(YEAR, extra), ("ageBroad", extra), (CONTRIBUTOR, extra)]
    # who recorded a case shapes everything else (which fields are collected, which countries)
    out += [(CONTRIBUTOR, "Datasource", "gender"), (CONTRIBUTOR, "ageBroad")]
    out += [(CONTRIBUTOR, "citizenship"), (CONTRIBUTOR, "CountryOfExploitation")]
    return out


@dataclass(frozen=True)
class Workload:
    """Public tables, the marginals they need (with objective weights) and the marginals to measure."""

    tables: tuple[TableSpec, ...]
    targets: tuple[tuple[Clique, float], ...]  # marginal -> weight in the design objective
    candidates: tuple[Clique, ...]


def default_workload(std: Standard, base: Iterable[str]) -> Workload:
    base = list(base)
    tables = tuple(default_specs(std))
    weights: dict[Clique, float] = {}
    for t in tables:
        for m in table_marginals(t.dims, std):
            weights[m] = max(weights.get(m, 0.0), 1.0)
    if PERSON_RECORDS in base:  # the persons estimate: a headline figure resting on this marginal alone
        weights[(PERSON_RECORDS,)] = PERSONS_WEIGHT
    for m in fidelity_marginals(std, base):
        weights.setdefault(m, FIDELITY_WEIGHT)
    weights.pop((), None)  # the total is implied by every other marginal
    targets = tuple(weights.items())
    return Workload(tables, targets, tuple(m for m, _ in targets))


def _subsets(clique: Clique) -> Iterable[Clique]:
    for k in range(len(clique) + 1):
        yield from (tuple(sorted(a)) for a in itertools.combinations(clique, k))


class Design:
    """GLS cell variances of workload marginals as a function of the measured marginals' precisions.

    Under GLS on the residual decomposition (see ``gls``), the component over attribute set A is estimated
    with variance V_A = 1 / Σ_{m ⊇ A} p_m / Π_{i ∈ m∖A} n_i, and a cell of marginal S has variance
    Σ_{A ⊆ S} V_A · Π_{i ∈ A}(1 − 1/n_i) / Π_{i ∈ S∖A} n_i².
    """

    def __init__(self, cliques: Sequence[Clique], targets: Sequence[Clique], sizes: dict[str, int]) -> None:
        comps = sorted({a for c in [*cliques, *targets] for a in _subsets(c)})
        index = {a: i for i, a in enumerate(comps)}
        self.measure = np.zeros((len(cliques), len(comps)))
        for j, c in enumerate(cliques):
            for a in _subsets(c):
                self.measure[j, index[a]] = 1.0 / math.prod(sizes[x] for x in c if x not in a)
        self.cell = np.zeros((len(targets), len(comps)))
        for j, s in enumerate(targets):
            for a in _subsets(s):
                self.cell[j, index[a]] = math.prod(1 - 1 / sizes[x] for x in a) / math.prod(
                    sizes[x] ** 2 for x in s if x not in a
                )

    def variances(self, precision: FloatArray) -> FloatArray:
        prec = precision @ self.measure
        v = np.where(prec > 0, 1.0 / np.maximum(prec, 1e-300), np.inf)
        used = self.cell > 0
        out: FloatArray = np.where(used, self.cell * np.where(np.isfinite(v), v, 1e300), 0.0).sum(axis=1)
        return out

    def optimise(self, total_precision: float, weights: FloatArray, iters: int = 500) -> FloatArray:
        """Precisions (Σ = total_precision) minimising Σ weights · cell variance (softmax-parametrised)."""
        k = self.measure.shape[0]
        wc = weights @ self.cell

        def objective(z: FloatArray) -> tuple[float, FloatArray]:
            s = np.exp(z - z.max())
            s /= s.sum()
            p = total_precision * s
            prec = np.maximum(p @ self.measure, 1e-300)
            f = float(wc @ (1.0 / prec))
            gp = self.measure @ (-wc / prec**2)
            gz = total_precision * s * (gp - s @ gp)
            return f, gz

        res = minimize(objective, np.zeros(k), jac=True, method="L-BFGS-B", options={"maxiter": iters})
        s = np.exp(res.x - res.x.max())
        out: FloatArray = total_precision * s / s.sum()
        return out


def design(workload: Workload, sizes: dict[str, int], rho: float) -> list[tuple[Clique, float]]:
    """(marginal, σ) for every measured marginal; marginals the design gives (almost) nothing are dropped."""
    cliques = list(workload.candidates)
    targets = [m for m, _ in workload.targets]
    weights = np.array([w * math.prod(sizes[a] for a in m) ** SIZE_POWER for m, w in workload.targets])
    d = Design(cliques, targets, sizes)
    precision = d.optimise(2.0 * rho, weights)
    keep = precision >= 1e-4 * precision.max()
    precision = np.where(keep, precision, 0.0)
    precision *= 2.0 * rho / precision.sum()
    return [(c, 1.0 / math.sqrt(p)) for c, p in zip(cliques, precision, strict=True) if p > 0]
