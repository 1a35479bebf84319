"""The hub's lifetime privacy budget: every release's ρ, kept in the store, composed by addition (zCDP).

A release is refused, with the spent and remaining budget in one sentence, when it would take the total
past the policy's lifetime ε. Withdrawing a release does not give its budget back: what was published
may have been copied. The ledger lives in the store (table ``privacy_ledger``) and is written by the
single writer in the same transaction that makes the release visible.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb

from ctdhub.errors import CtdhubError
from ctdhub.release.dp.accounting import cdp_eps, rho_from_eps_delta

DDL = """CREATE TABLE IF NOT EXISTS privacy_ledger (
  release_id VARCHAR PRIMARY KEY,
  created_at TIMESTAMPTZ NOT NULL,
  epsilon DOUBLE NOT NULL,
  delta DOUBLE NOT NULL,
  rho DOUBLE NOT NULL
)"""
_TOLERANCE = 1e-9


class BudgetError(CtdhubError):
    """The release would exceed the hub's lifetime privacy budget."""


@dataclass(frozen=True)
class Budget:
    """The lifetime budget as the report states it."""

    releases: int  # releases recorded so far (this one included once recorded)
    rho_spent: float
    rho_lifetime: float
    epsilon_spent: float  # the composed guarantee so far, at ``delta``
    lifetime_epsilon: float
    delta: float
    rho_per_release: float

    @property
    def remaining_releases(self) -> int:
        """How many more releases at this policy's ε the budget allows."""
        left = self.rho_lifetime - self.rho_spent
        return max(math.floor(left / self.rho_per_release + _TOLERANCE), 0)

    @property
    def epsilon_left(self) -> float:
        """The largest ε (at ``delta``) one more release could spend."""
        left = max(self.rho_lifetime - self.rho_spent, 0.0)
        return cdp_eps(left, self.delta) if left > 0 else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "releases": self.releases,
            "rho_spent": self.rho_spent,
            "rho_lifetime": self.rho_lifetime,
            "epsilon_spent": self.epsilon_spent,
            "lifetime_epsilon": self.lifetime_epsilon,
            "delta": self.delta,
            "remaining_releases_at_this_epsilon": self.remaining_releases,
        }


def spent(con: duckdb.DuckDBPyConnection) -> tuple[int, float]:
    """(number of releases, total ρ) recorded so far."""
    con.execute(DDL)
    row = con.execute("SELECT count(*), coalesce(sum(rho), 0) FROM privacy_ledger").fetchone()
    return (int(row[0]), float(row[1])) if row else (0, 0.0)


def check(con: duckdb.DuckDBPyConnection, *, epsilon: float, delta: float, lifetime_epsilon: float) -> Budget:
    """The budget after a release at (ε, δ); raise ``BudgetError`` if it would exceed the lifetime ε."""
    n, rho_spent = spent(con)
    rho = rho_from_eps_delta(epsilon, delta)
    rho_life = rho_from_eps_delta(lifetime_epsilon, delta)
    if rho_spent + rho > rho_life * (1 + _TOLERANCE):
        eps_spent = cdp_eps(rho_spent, delta) if rho_spent > 0 else 0.0
        left = max(rho_life - rho_spent, 0.0)
        eps_left = cdp_eps(left, delta) if left > 0 else 0.0
        raise BudgetError(
            f"This release (ε = {epsilon:g}) would exceed the hub's lifetime privacy budget: {n} release(s) "
            f"have spent ε = {eps_spent:.3g} of ε = {lifetime_epsilon:g} (δ = {delta:g}); what remains allows "
            f"one more release of at most ε ≈ {eps_left:.3g}.",
            hint="Lower privacy.epsilon in the policy, or raise privacy.lifetime_epsilon if the hub's "
            "governance agrees.",
        )
    total = rho_spent + rho
    return Budget(n + 1, total, rho_life, cdp_eps(total, delta), lifetime_epsilon, delta, rho)


def status(
    con: duckdb.DuckDBPyConnection, *, epsilon: float, delta: float, lifetime_epsilon: float
) -> Budget:
    """The budget as it stands, for a policy of (ε, δ, lifetime ε); reads only (a read-only connection)."""
    return status_of(entries(con), epsilon=epsilon, delta=delta, lifetime_epsilon=lifetime_epsilon)


def status_of(
    rows: Sequence[Mapping[str, object]], *, epsilon: float, delta: float, lifetime_epsilon: float
) -> Budget:
    """The budget given the ledger's entries (``entries``)."""
    rho_spent = sum(float(str(e["rho"])) for e in rows)
    return Budget(
        len(rows),
        rho_spent,
        rho_from_eps_delta(lifetime_epsilon, delta),
        cdp_eps(rho_spent, delta) if rho_spent > 0 else 0.0,
        lifetime_epsilon,
        delta,
        rho_from_eps_delta(epsilon, delta),
    )


def record(
    con: duckdb.DuckDBPyConnection, release_id: str, *, epsilon: float, delta: float, rho: float
) -> None:
    """Add the release to the ledger (inside the caller's transaction)."""
    con.execute(DDL)
    con.execute(
        "INSERT INTO privacy_ledger VALUES (?, ?, ?, ?, ?)",
        [release_id, dt.datetime.now(dt.UTC), float(epsilon), float(delta), float(rho)],
    )


def entries(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Every recorded release, oldest first (empty for a store that has never released)."""
    try:
        rows = con.execute(
            "SELECT release_id, CAST(created_at AS VARCHAR), epsilon, delta, rho FROM privacy_ledger "
            "ORDER BY release_id"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [dict(zip(("release_id", "created_at", "epsilon", "delta", "rho"), r, strict=True)) for r in rows]
