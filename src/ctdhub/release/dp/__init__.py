"""Differential privacy for every public number: measure once, estimate one model, publish from it.

``build_model`` is the only code that reads the confidential records. It

1. compresses the large domains (years, countries) from noisy one-way counts (``space``);
2. measures the declared workload of marginals with discrete Gaussian noise from OpenDP, each with the
   precision the data-independent design gives it (``workload``, ``noise``), recording every
   measurement in the ledger (``accounting``);
3. estimates from the measurements alone: the closed-form GLS (``gls``, for consistent estimates and
   exact variances) and one integer model fitted to all of them (``model``).

Everything public — tables, API answers, dashboard, briefings, diffs, synthetic microdata — is a
tabulation of that model, with intervals from the GLS variances (``intervals``): post-processing, which
spends no further budget. So are its two totals: the case records (the model's records) and, when records
are linked to persons, the persons they stand for (``DPModel.persons``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ctdhub.release.dp import kernels
from ctdhub.release.dp.accounting import PrivacyLedger, cdp_eps, gaussian_sigma, rho_from_eps_delta
from ctdhub.release.dp.gls import Estimate, Measurement
from ctdhub.release.dp.model import FitSettings, fit_model
from ctdhub.release.dp.noise import NoiseSource, SecureNoise, SeededNoise
from ctdhub.release.dp.space import (
    COMPRESSED,
    PERSON_RECORDS,
    Codes,
    ModelSpace,
    add_derived,
    compress,
    count_attr,
    country_groups,
)
from ctdhub.release.dp.workload import Workload, default_workload, design
from ctdhub.release.encode import Domain
from ctdhub.standard import Standard

__all__ = ["DPModel", "NoiseSource", "SecureNoise", "SeededNoise", "build_model"]

COMPRESSION_SHARE = 0.04  # of ρ, for the one-way counts that decide which values are merged
COMPRESSION_SIGMAS = 2.5  # a value is kept when its noisy count reaches this many σ
BLOCK = 1 << 20  # records counted at a time: their model codes (base and derived, int32) take ~400 MB


@dataclass
class DPModel:
    """The measured model of one release: measurements, GLS estimate and the integer microdata."""

    space: ModelSpace
    workload: Workload
    measurements: list[Measurement]
    estimate: Estimate
    synthetic: Codes  # original codes of the base attributes, one row per modelled record
    rows: int
    rho: float
    epsilon: float
    delta: float
    ledger: list[dict[str, Any]]
    noise: str
    inflation: dict[int, float] = field(default_factory=dict)  # variance multiplier by table dimension
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def persons(self) -> float:
        """The persons the model's records stand for: Σ_j n_j / j, with n_j the model's records whose person
        has j measured records (``personRecords``); without that attribute (records not linked to persons,
        or at most one record per person measured), one person per record.

        n_j are the GLS estimate of the ``personRecords`` one-way (every measurement pooled; a negative
        cell counts 0, and the unknown cell, empty by construction, none), scaled to the model's records:
        the model's records themselves match each one-way only approximately (the fit trades every
        measurement off against the others; on the demo hub their personRecords counts strayed 5-10 %
        from the GLS estimate, which was within 0.2 % of the truth). Post-processing, like ``rows``."""
        weights = self.persons_weights()
        if not weights:
            return float(self.rows)
        domain = self.space.domains[PERSON_RECORDS]
        n = np.maximum(self.estimate.marginal((PERSON_RECORDS,)), 0.0)[: len(domain.values)]
        return float(sum(weights[v] * n[i] for i, v in enumerate(domain.values)))

    def persons_weights(self) -> dict[str, float]:
        """``persons`` as a weighted sum of the ``personRecords`` counts: value j -> rows / (Σ n · j); empty
        when persons are the records (no such attribute, or its estimated counts all 0)."""
        domain = self.space.domains.get(PERSON_RECORDS)
        if domain is None:
            return {}
        n = np.maximum(self.estimate.marginal((PERSON_RECORDS,)), 0.0)[: len(domain.values)]
        if n.sum() <= 0:
            return {}
        scale = self.rows / float(n.sum())
        return {v: scale / int(v) for v in domain.values}


def _flat_blocks(
    cliques: list[tuple[str, ...]], columns: dict[str, int], sizes: dict[str, int]
) -> tuple[np.ndarray, ...]:
    cols: list[int] = []
    strides: list[int] = []
    off = [0]
    cell_off = [0]
    for clique in cliques:
        dims = [sizes[a] for a in clique]
        st = [math.prod(dims[i + 1 :]) for i in range(len(dims))]
        cols += [columns[a] for a in clique]
        strides += st
        off.append(len(cols))
        cell_off.append(cell_off[-1] + math.prod(dims))
    return (
        np.asarray(cols, dtype=np.int64),
        np.asarray(strides, dtype=np.int64),
        np.asarray(off, dtype=np.int64),
        np.asarray(cell_off, dtype=np.int64),
    )


def build_model(
    codes: Codes,
    domains: dict[str, Domain],
    std: Standard,
    *,
    epsilon: float,
    delta: float,
    noise: NoiseSource,
    rng: np.random.Generator,
    settings: FitSettings | None = None,
    records_per_person: int = 1,
) -> DPModel:
    """Measure ``codes`` (original codes of every base attribute) once under (ε, δ) and fit the model.

    ``records_per_person`` (k) is the most records any one person has among ``codes`` (the caller bounds
    it); the guarantee then holds for the person, not only for the record."""
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    rho = rho_from_eps_delta(epsilon, delta)
    ledger = PrivacyLedger(rho)
    # Unit of privacy: one person with at most k records. Every measurement is a histogram in which one
    # record moves one cell by 1, so one person moves it by at most k in L2 norm (all k records in one
    # cell) and a Gaussian measurement at σ costs k²/(2σ²) per person, k² times its per-record ρ. The
    # noise is therefore planned for a per-record budget of ρ / k², and the ledger records per-person ρ
    # (k² × per record), so the release's ρ and ε below are those of the person.
    if records_per_person < 1:
        raise ValueError(f"records_per_person must be >= 1, got {records_per_person!r}")
    scale = float(records_per_person) ** 2
    space = ModelSpace(dict(domains))
    n_rows = len(next(iter(codes.values())))
    measurements: list[Measurement] = []
    big = [a for a in COMPRESSED if a in domains]
    rho1 = COMPRESSION_SHARE * rho / scale / max(len(big), 1)
    sigma1 = gaussian_sigma(rho1)
    for a in big:
        counts = np.bincount(codes[a], minlength=domains[a].size)
        noisy = noise.add(counts, sigma1).astype(np.float64)
        ledger.spend(
            f"one-way counts of {a} (domain compression)",
            "discrete gaussian",
            noise.rho(sigma1) * scale,
            sigma=sigma1,
            cells=int(counts.size),
        )
        groups = country_groups(domains[a]) if a != "yearOfRegistration" else None
        comp = compress(a, domains[a], noisy, COMPRESSION_SIGMAS * sigma1, groups)
        space.compressions[a] = comp
        merged = np.bincount(comp.to_model, weights=noisy, minlength=comp.size).astype(np.float64)
        widest = max(len(m) for m in comp.members)
        measurements.append(Measurement((a,), merged, sigma1 * math.sqrt(widest)))
    add_derived(space, std)
    sizes = space.sizes
    names = [*space.base, *space.derived]
    columns = {a: i for i, a in enumerate(names)}
    workload = default_workload(std, space.base)
    plan = design(workload, sizes, ledger.remaining / scale)
    times["prepare"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    cliques = [c for c, _ in plan]
    cols, strides, off, cell_off = _flat_blocks(cliques, columns, sizes)
    counts = np.zeros(int(cell_off[-1]), dtype=np.int64)
    for start in range(0, n_rows, BLOCK):  # the model codes of one block of records at a time
        full = space.with_derived(space.to_model({a: c[start : start + BLOCK] for a, c in codes.items()}))
        matrix = np.empty((len(names), len(full[names[0]])), dtype=np.int32)
        for i, a in enumerate(names):
            matrix[i] = full[a]
        counts += kernels.marginal_counts(matrix, cols, strides, off, cell_off)
    for j, (clique, sigma) in enumerate(plan):
        cell = counts[cell_off[j] : cell_off[j + 1]]
        noisy = noise.add(cell, sigma).astype(np.float64)
        ledger.spend(
            f"marginal {' x '.join(clique) or 'total'}",
            "discrete gaussian",
            noise.rho(sigma) * scale,
            sigma=sigma,
            cells=int(cell.size),
        )
        measurements.append(Measurement(clique, noisy, sigma))
    times["measure"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    estimate = Estimate(measurements, sizes)
    family_members = {count_attr(f.name): tuple(f.members) for f in std.families}
    synth_model, rows = fit_model(space, measurements, estimate, rng, family_members, settings)
    synthetic = space.decompress(synth_model, rng)
    inflation = model_error(space, measurements, estimate, synth_model)
    times["estimate"] = time.perf_counter() - t2
    spent = ledger.spent
    return DPModel(
        space=space,
        workload=workload,
        measurements=measurements,
        estimate=estimate,
        synthetic=synthetic,
        rows=rows,
        rho=spent,
        epsilon=cdp_eps(spent, delta),
        delta=delta,
        ledger=ledger.entries(),
        noise=noise.name,
        inflation=inflation,
        seconds=times,
    )


def model_error(
    space: ModelSpace, measurements: list[Measurement], estimate: Estimate, records: Codes
) -> dict[int, float]:
    """How far the model strays from the GLS estimates, relative to their variance, by table dimension.

    The model's records cannot match every measurement exactly (they are non-negative whole records fitted
    to all of them at once), so its cells carry a fitting error beyond the GLS noise. Both the model and
    the GLS estimates are DP outputs, so this ratio is too: intervals multiply the GLS variance of a
    k-dimensional count by max(1, ratio_k). Cells the GLS puts at 20 or more count; sparse empty cells
    would only dilute the ratio.
    """
    full = space.with_derived(records)
    sums: dict[int, list[float]] = {}
    for m in measurements:
        if not m.attrs:
            continue
        sizes = [space.size(a) for a in m.attrs]
        idx = np.zeros(len(full[m.attrs[0]]), dtype=np.int64)
        for a, n in zip(m.attrs, sizes, strict=True):
            idx = idx * n + full[a]
        counts = np.bincount(idx, minlength=math.prod(sizes))
        g = estimate.marginal(m.attrs).ravel()
        var, _ = estimate.variance(dict.fromkeys(m.attrs, 1))
        sel = g >= 20
        acc = sums.setdefault(len(m.attrs), [0.0, 0.0])
        acc[0] += float(((counts - g)[sel] ** 2).sum())
        acc[1] += var * int(sel.sum())
    return {k: max(1.0, num / den) for k, (num, den) in sorted(sums.items()) if den > 0}
