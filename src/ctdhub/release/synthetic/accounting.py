"""Privacy accounting for the synthetic-data engine, in zero-concentrated differential privacy (zCDP).

Conventions (neighbouring datasets differ by adding or removing one row, i.e. one person):

* ``rho_from_eps_delta`` converts an (ε, δ)-DP target into the largest ρ such that ρ-zCDP implies
  (ε, δ)-DP, using the tight conversion of Canonne, Kamath & Steinke (2020, "The Discrete Gaussian for
  Differential Privacy", Prop. 12 / cdp2adp.py), found by binary search — the same conversion MST uses.
* A Gaussian mechanism with L2 sensitivity Δ and standard deviation σ is ρ = Δ² / (2σ²) zCDP.
* An ε-DP exponential mechanism is ε²/8-zCDP (bounded-range argument, Cesar & Rogers 2021), so ``n``
  selections sharing ρ_em use ε = sqrt(8 ρ_em / n) each.
* ``PrivacyLedger`` records every measurement; spending more than the budget raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

_ITERATIONS = 1000


def validate_epsilon_delta(epsilon: float, delta: float) -> None:
    """Raise ``ValueError`` unless ε > 0 (finite) and 0 < δ < 1."""
    if not isinstance(epsilon, int | float) or not math.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"epsilon must be a finite number > 0, got {epsilon!r}")
    if not isinstance(delta, int | float) or not (0.0 < delta < 1.0):
        raise ValueError(f"delta must be strictly between 0 and 1, got {delta!r}")


def cdp_delta(rho: float, eps: float) -> float:
    """Smallest δ such that ρ-zCDP implies (ε, δ)-DP (tight bound, Canonne–Kamath–Steinke 2020)."""
    if rho < 0 or eps < 0:
        raise ValueError("rho and eps must be >= 0")
    if rho == 0:
        return 0.0
    # The optimal alpha solves (2α−1)ρ − ε + log(1 − 1/α) = 0; any α > 1 gives a valid bound.
    amin, amax = 1.01, (eps + 1.0) / (2.0 * rho) + 2.0
    alpha = amin
    for _ in range(_ITERATIONS):
        alpha = (amin + amax) / 2.0
        if alpha in (amin, amax):  # converged to float precision; further steps change nothing
            break
        derivative = (2.0 * alpha - 1.0) * rho - eps + math.log1p(-1.0 / alpha)
        if derivative < 0:
            amin = alpha
        else:
            amax = alpha
    log_delta = (alpha - 1.0) * (alpha * rho - eps) + alpha * math.log1p(-1.0 / alpha) - math.log(alpha - 1.0)
    return min(math.exp(min(log_delta, 0.0)), 1.0)


def cdp_eps(rho: float, delta: float) -> float:
    """Smallest ε such that ρ-zCDP implies (ε, δ)-DP (tight bound, by binary search)."""
    if rho < 0 or not delta > 0.0:
        raise ValueError("rho must be >= 0 and delta > 0")
    if delta >= 1 or rho == 0:
        return 0.0
    epsmin, epsmax = 0.0, rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))
    for _ in range(_ITERATIONS):
        eps = (epsmin + epsmax) / 2.0
        if eps in (epsmin, epsmax):
            break
        if cdp_delta(rho, eps) <= delta:
            epsmax = eps
        else:
            epsmin = eps
    return epsmax


def rho_from_eps_delta(epsilon: float, delta: float) -> float:
    """Largest ρ such that ρ-zCDP implies (ε, δ)-DP — the tight conversion used by MST (``cdp_rho``)."""
    validate_epsilon_delta(epsilon, delta)
    rhomin, rhomax = 0.0, epsilon + 1.0
    for _ in range(_ITERATIONS):
        rho = (rhomin + rhomax) / 2.0
        if rho in (rhomin, rhomax):
            break
        if cdp_delta(rho, epsilon) <= delta:
            rhomin = rho
        else:
            rhomax = rho
    return rhomin


def rho_from_eps_delta_simple(epsilon: float, delta: float) -> float:
    """ρ from the simple bound ε = ρ + 2·sqrt(ρ·log(1/δ)) (Bun & Steinke 2016); never larger than the tight ρ."""
    validate_epsilon_delta(epsilon, delta)
    log_inv = math.log(1.0 / delta)
    return (math.sqrt(log_inv + epsilon) - math.sqrt(log_inv)) ** 2


def gaussian_sigma(rho: float, sensitivity: float = 1.0) -> float:
    """Noise standard deviation of a Gaussian mechanism with L2 ``sensitivity`` that is ρ-zCDP."""
    if rho <= 0:
        raise ValueError(f"rho must be > 0, got {rho!r}")
    return sensitivity * math.sqrt(1.0 / (2.0 * rho))


def gaussian_rho(sigma: float, sensitivity: float = 1.0) -> float:
    """ρ spent by a Gaussian mechanism with standard deviation ``sigma`` and L2 ``sensitivity``."""
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    return sensitivity**2 / (2.0 * sigma**2)


def em_epsilon(rho: float, n_selections: int) -> float:
    """Per-selection ε of the exponential mechanism when ``n_selections`` share ρ (ε²/8 each)."""
    if rho <= 0 or n_selections < 1:
        raise ValueError("rho must be > 0 and n_selections >= 1")
    return math.sqrt(8.0 * rho / n_selections)


def em_rho(epsilon: float) -> float:
    """ρ spent by one ε-DP exponential mechanism (ε²/8, bounded-range argument)."""
    return epsilon**2 / 8.0


@dataclass(frozen=True)
class BudgetSplit:
    """Shares of ρ: the DP row count, then 1-way marginals, edge selection and 2-way marginals.

    ``count`` is taken first; the three others divide what is left and are normalised to sum to one.
    """

    count: float = 0.01
    one_way: float = 1.0
    select: float = 1.0
    two_way: float = 1.0

    def shares(self, rho: float, *, has_edges: bool) -> dict[str, float]:
        """ρ per step; without edges (one column) the 1-way marginals receive the selection/2-way shares."""
        parts = (self.count, self.one_way, self.select, self.two_way)
        if any(p < 0 or not math.isfinite(p) for p in parts) or not (0 < self.count < 1):
            raise ValueError("budget shares must be finite, >= 0, with 0 < count < 1")
        rest = rho * (1.0 - self.count)
        if not has_edges:
            return {"count": rho - rest, "one_way": rest, "select": 0.0, "two_way": 0.0}
        total = self.one_way + self.select + self.two_way
        if self.one_way <= 0 or self.select <= 0 or self.two_way <= 0:
            raise ValueError("one_way, select and two_way shares must be > 0")
        one, sel = rest * self.one_way / total, rest * self.select / total
        return {"count": rho - rest, "one_way": one, "select": sel, "two_way": rest - one - sel}


class BudgetExceededError(RuntimeError):
    """Raised when a measurement would spend more ρ than the ledger's budget."""


class PrivacyLedger:
    """Every measurement taken from the confidential data, with the ρ it spent (zCDP composes by addition)."""

    _TOLERANCE = 1e-9

    def __init__(self, rho_total: float) -> None:
        if not rho_total > 0:
            raise ValueError(f"rho_total must be > 0, got {rho_total!r}")
        self.rho_total = float(rho_total)
        self._entries: list[dict[str, Any]] = []

    @property
    def spent(self) -> float:
        """ρ spent so far."""
        return math.fsum(e["rho"] for e in self._entries)

    @property
    def remaining(self) -> float:
        """ρ not yet spent (never negative)."""
        return max(self.rho_total - self.spent, 0.0)

    def spend(self, what: str, mechanism: str, rho: float, **details: Any) -> None:
        """Record a measurement; raise ``BudgetExceededError`` if it would exceed the budget."""
        if not rho >= 0:
            raise ValueError(f"rho must be >= 0, got {rho!r}")
        if self.spent + rho > self.rho_total * (1.0 + self._TOLERANCE):
            raise BudgetExceededError(
                f"{what}: spending rho={rho:.6g} exceeds the remaining budget {self.remaining:.6g}"
            )
        self._entries.append({"what": what, "mechanism": mechanism, "rho": float(rho), **details})

    def entries(self) -> list[dict[str, Any]]:
        """A copy of the recorded measurements."""
        return [dict(e) for e in self._entries]
