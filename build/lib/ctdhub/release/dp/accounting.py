"""Privacy accounting in zero-concentrated differential privacy (zCDP): conversions and the measurement ledger.

Conventions (neighbouring datasets differ by adding or removing one case record — one person once
contributions per person are bounded):

* ``rho_from_eps_delta`` converts an (ε, δ)-DP target into the largest ρ such that ρ-zCDP implies
  (ε, δ)-DP, using the tight conversion of Canonne, Kamath & Steinke (2020, "The Discrete Gaussian for
  Differential Privacy", Prop. 12 / cdp2adp.py), found by binary search — the same conversion MST uses.
* A Gaussian mechanism with L2 sensitivity Δ and standard deviation σ is ρ = Δ² / (2σ²) zCDP.
* zCDP composes by addition: a release's ρ is the sum over its measurements, a hub's lifetime ρ the sum
  over its releases.
* ``PrivacyLedger`` records every measurement of one release; spending more than the budget raises.
"""

from __future__ import annotations

import math
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
