"""Independent disclosure audit of release outputs (used by the property tests and the disclosure gate).

Written separately from the code that protects: it reads only what would be published, rebuilds the
linear relations from the table dimensions itself, and never sees true values of suppressed cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from ctdhub.geo import resolver
from ctdhub.release.aggregates import AggTable
from ctdhub.sql import qi
from ctdhub.standard import Family, load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN

_EPS = 1e-6


def audit_kanon(con: duckdb.DuckDBPyConnection, table: str, qis: list[str], k: int) -> list[str]:
    """Violations of k-anonymity: every combination of the QIs (NULL is a value) must have >= k rows."""
    if not qis:
        row = next(iter(con.execute(f"SELECT count(*) FROM {qi(table)}").fetchall()), None)
        n = int(row[0]) if row else 0
        return [f"{table}: {n} rows in the single class (< {k})"] if 0 < n < k else []
    cols = ", ".join(qi(q) for q in qis)
    rows = con.execute(
        f"SELECT {cols}, count(*) AS c FROM {qi(table)} GROUP BY {cols} HAVING count(*) < {k} LIMIT 20"
    ).fetchall()
    return [f"{table}: class {r[:-1]} has {r[-1]} rows (< {k})" for r in rows]


# --- aggregate tables --------------------------------------------------------------------------------

Cell = tuple[int, tuple[str, ...]]  # (table index, dimension values)
_Published = dict[tuple[str, ...], tuple[int | None, bool]]  # one table's cells: (count or None, suppressed)


@dataclass
class _Model:
    """Published cells with their known bounds, and the linear relations an attacker can use."""

    lo: dict[Cell, float] = field(default_factory=dict)
    hi: dict[Cell, float] = field(default_factory=dict)
    eqs: list[dict[Cell, float]] = field(default_factory=list)  # sum(coef * x) == 0
    les: list[dict[Cell, float]] = field(default_factory=list)  # sum(coef * x) <= 0

    def variable(self, c: Cell) -> bool:
        return self.lo[c] != self.hi[c]


def _geo_maps() -> dict[tuple[str, str], dict[str, str]]:
    """(coarse dim, fine dim) -> value map, rebuilt from the geo table."""
    rows = resolver().region_rows()
    maps: dict[tuple[str, str], dict[str, str]] = {}
    for side, fine in (("citizenship", "citizenship"), ("exploitation", "CountryOfExploitation")):
        sub = {r["iso3"]: r["un_subregion"] or UNKNOWN for r in rows}
        reg = {r["iso3"]: r["un_region"] or UNKNOWN for r in rows}
        maps[(f"{side}_subregion", fine)] = sub
        maps[(f"{side}_region", fine)] = reg
        maps[(f"{side}_region", f"{side}_subregion")] = {sub[c]: reg[c] for c in sub}
    for m in maps.values():
        m[UNKNOWN] = UNKNOWN
    return maps


def _derive(
    fine: tuple[str, ...],
    coarse: tuple[str, ...],
    maps: dict[tuple[str, str], dict[str, str]],
    fams: set[str],
) -> list[tuple[int, dict[str, str] | None]] | None:
    """How to project a cell of the fine table onto the coarse one (None: not derivable)."""
    out: list[tuple[int, dict[str, str] | None]] = []
    for d in coarse:
        if d in fine:
            out.append((fine.index(d), None))
            continue
        src = [i for i, f in enumerate(fine) if (d, f) in maps and f not in coarse]
        if len(src) != 1:
            return None
        out.append((src[0], maps[(d, fine[src[0]])]))
    used = {i for i, _ in out}
    rest = [fine[i] for i in range(len(fine)) if i not in used]
    if any(d in fams for d in rest) or (not rest and all(m is None for _, m in out)):
        return None
    return out


def _bounds(value: int | None, suppressed: bool, rounding: int | None) -> tuple[float, float]:
    if suppressed or value is None:
        return 1.0, math.inf
    if rounding and rounding > 1:
        return max(1.0, value - rounding + 1.0), value + math.ceil(rounding / 2) - 1.0
    return float(value), float(value)


def _load(
    con: duckdb.DuckDBPyConnection, tables: list[AggTable], threshold: int
) -> tuple[list[_Published], list[str]]:
    data: list[_Published] = []
    problems: list[str] = []
    for t in tables:
        cols = ", ".join([*(qi(d) for d in t.dims), "count", "suppressed"])
        cells: _Published = {}
        for row in con.execute(f"SELECT {cols} FROM {qi(t.table)}").fetchall():
            key, count, sup = tuple(str(v) for v in row[:-2]), row[-2], bool(row[-1])
            if sup and count is not None:
                problems.append(f"{t.name}{key}: suppressed but count {count} published")
            if not sup and (count is None or 0 < count < threshold):
                problems.append(f"{t.name}{key}: published count {count} is below the threshold {threshold}")
            cells[key] = (None if sup else count, sup)
        data.append(cells)
    return data, problems


def _model(tables: list[AggTable], data: list[_Published]) -> _Model:
    """The published cells with their bounds, and the relations among them: margins and flag families."""
    std = load_standard()
    fams = {f.name: f for f in std.families}
    maps = _geo_maps()
    m = _Model()
    for ti, (t, cells) in enumerate(zip(tables, data, strict=True)):
        for key, (value, sup) in cells.items():
            m.lo[(ti, key)], m.hi[(ti, key)] = _bounds(value, sup, t.rounding)
    dims = [tuple(t.dims) for t in tables]
    m.eqs += _margin_equations(dims, data, maps, set(fams))
    for ti in range(len(dims)):
        m.les += _family_inequalities(ti, dims, data[ti], fams)
    return m


def _margin_equations(
    dims: list[tuple[str, ...]],
    data: list[_Published],
    maps: dict[tuple[str, str], dict[str, str]],
    fams: set[str],
) -> list[dict[Cell, float]]:
    """Sum relations between tables: a table derivable from another (directly, not only through a
    third table) is the sum of that table's cells."""
    n = len(dims)
    derivable = {
        (a, b): p
        for a in range(n)
        for b in range(n)
        if a != b and (p := _derive(dims[a], dims[b], maps, fams)) is not None
    }
    eqs: list[dict[Cell, float]] = []
    for (a, b), proj in derivable.items():
        if any((a, i) in derivable and (i, b) in derivable for i in range(n)):
            continue
        eqs += _sum_equations(a, b, proj, data)
    return eqs


def _sum_equations(
    a: int, b: int, proj: list[tuple[int, dict[str, str] | None]], data: list[_Published]
) -> list[dict[Cell, float]]:
    """Each cell of table `b` equals the sum of the cells of table `a` that `proj` maps onto it (0 when
    there are none; a missing cell of `b` is 0)."""
    sums: dict[tuple[str, ...], dict[Cell, float]] = {}
    for key in data[a]:
        pk = tuple(key[i] if mp is None else mp.get(key[i], UNKNOWN) for i, mp in proj)
        sums.setdefault(pk, {})[(a, key)] = 1.0
    eqs: list[dict[Cell, float]] = []
    for pk in set(sums) | set(data[b]):
        row = dict(sums.get(pk, {}))
        if pk in data[b]:
            row[(b, pk)] = -1.0
        eqs.append(row)
    return eqs


def _family_inequalities(
    ti: int, dims: list[tuple[str, ...]], cells: _Published, fams: dict[str, Family]
) -> list[dict[Cell, float]]:
    """Bounds within table `ti` when exactly one of its dimensions is a flag family: a flag count <= the
    count of the table without the family (when published), and the "(any information)" bounds."""
    d = dims[ti]
    fam = [i for i, x in enumerate(d) if x in fams]
    if len(fam) != 1:
        return []
    fi = fam[0]
    base = dims.index(d[:fi] + d[fi + 1 :]) if d[:fi] + d[fi + 1 :] in dims else None
    les: list[dict[Cell, float]] = []
    slices: dict[tuple[str, ...], dict[str, Cell]] = {}
    for key in cells:
        rest = key[:fi] + key[fi + 1 :]
        slices.setdefault(rest, {})[key[fi]] = (ti, key)
        if base is not None:
            les.append({(ti, key): 1.0, (base, rest): -1.0})
    substantive = set(fams[d[fi]].substantive)
    for cats in slices.values():
        les += _any_information_bounds(cats, substantive)
    return les


def _any_information_bounds(cats: dict[str, Cell], substantive: set[str]) -> list[dict[Cell, float]]:
    """In one slice of a family's categories: substantive flag <= "(any information)" <= sum of them."""
    if ANY_INFO not in cats:
        return []
    flags = [c for cat, c in cats.items() if cat in substantive]
    any_info = cats[ANY_INFO]
    return [*({f: 1.0, any_info: -1.0} for f in flags), {any_info: 1.0, **{f: -1.0 for f in flags}}]


def _groups(m: _Model) -> list[tuple[list[Cell], list[dict[Cell, float]], list[dict[Cell, float]]]]:
    """Connected groups of variable cells with the relations that touch them."""
    parent: dict[Cell, Cell] = {c: c for c in m.lo if m.variable(c)}

    def find(x: Cell) -> Cell:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in (*m.eqs, *m.les):
        vs = [c for c in row if c in parent]
        for c in vs[1:]:
            parent[find(vs[0])] = find(c)
    members: dict[Cell, list[Cell]] = {}
    for c in parent:
        members.setdefault(find(c), []).append(c)
    eqs: dict[Cell, list[dict[Cell, float]]] = {}
    les: dict[Cell, list[dict[Cell, float]]] = {}
    for rows, into in ((m.eqs, eqs), (m.les, les)):
        for row in rows:
            vs = [c for c in row if c in parent]
            if vs:
                into.setdefault(find(vs[0]), []).append(row)
    return [(sorted(v), eqs.get(r, []), les.get(r, [])) for r, v in sorted(members.items())]


def _matrix(rows: list[dict[Cell, float]], col: dict[Cell, int], m: _Model) -> tuple[Any, Any]:
    if not rows:
        return None, None
    r_idx: list[int] = []
    c_idx: list[int] = []
    vals: list[float] = []
    b = np.zeros(len(rows))
    for i, row in enumerate(rows):
        for c, coef in row.items():
            if c in col:
                r_idx.append(i)
                c_idx.append(col[c])
                vals.append(coef)
            else:
                b[i] -= coef * m.lo[c]
    return coo_matrix((vals, (r_idx, c_idx)), shape=(len(rows), len(col))).tocsr(), b


class _GroupLP:
    """The linear program of one group of cells, and the range of values each cell has taken so far in
    the feasible points found."""

    def __init__(
        self, m: _Model, cells: list[Cell], eqs: list[dict[Cell, float]], les: list[dict[Cell, float]]
    ) -> None:
        col = {c: j for j, c in enumerate(cells)}
        self.a_eq, self.b_eq = _matrix(eqs, col, m)
        self.a_ub, self.b_ub = _matrix(les, col, m)
        self.bounds = [(m.lo[c], None if math.isinf(m.hi[c]) else m.hi[c]) for c in cells]
        self.n = len(cells)
        self.lo, self.hi = np.full(self.n, np.inf), np.full(self.n, -np.inf)

    def solve(self, obj: np.ndarray, bnds: list[tuple[float, float | None]]) -> bool:
        """Minimise `obj` within `bnds` and widen the ranges to the optimum; False when unbounded."""
        res = linprog(
            obj, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq, b_eq=self.b_eq, bounds=bnds, method="highs"
        )
        if res.status == 3:
            return False
        if res.status != 0:
            raise RuntimeError(f"audit LP failed: {res.message}")
        self.lo, self.hi = np.minimum(self.lo, res.x), np.maximum(self.hi, res.x)
        return True

    def open(self) -> np.ndarray:
        """Per cell: whether its range so far holds two integers (so it is not recoverable exactly)."""
        return np.floor(self.hi + _EPS) - np.ceil(self.lo - _EPS) >= 1

    def box(self) -> list[tuple[float, float | None]]:
        """The bounds narrowed to within 2 of the first feasible point (lo), for the random pushes."""
        return [
            (max(b[0], v - 2.0), v + 2.0 if b[1] is None else min(b[1], v + 2.0))
            for b, v in zip(self.bounds, self.lo, strict=True)
        ]

    def push_randomly(self, box: list[tuple[float, float | None]]) -> None:
        """Many cells at once: push the still-closed cells in random directions inside the box, until all
        are open or three pushes in a row open none."""
        rng = np.random.default_rng(0)
        stale = 0
        while not self.open().all() and stale < 3:
            before = int(self.open().sum())
            self.solve(np.where(self.open(), 0.0, rng.choice([-1.0, 1.0], self.n)), box)
            stale = stale + 1 if int(self.open().sum()) == before else 0

    def pinned(self, j: int) -> bool:
        """Whether cell `j` stays closed when minimised and maximised alone (unbounded either way: open)."""
        unbounded = False
        for sign in (-1.0, 1.0):
            obj = np.zeros(self.n)
            obj[j] = sign
            if not self.solve(obj, self.bounds):
                unbounded = True
        return not unbounded and not self.open()[j]


def _intervals(
    m: _Model, cells: list[Cell], eqs: list[dict[Cell, float]], les: list[dict[Cell, float]]
) -> list[Cell]:
    """Cells of the group whose feasible interval holds a single integer."""
    lp = _GroupLP(m, cells, eqs, les)
    lp.solve(np.ones(lp.n), lp.bounds)
    lp.push_randomly(lp.box())
    bad: list[Cell] = []
    for j in np.flatnonzero(~lp.open()):
        if not lp.open()[j] and lp.pinned(int(j)):
            bad.append(cells[j])
    return bad


def audit_tables(con: duckdb.DuckDBPyConnection, tables: list[AggTable], threshold: int) -> list[str]:
    """Violations in protected aggregate tables: published small counts and exactly recoverable cells.

    Relations rebuilt here: margins (a table whose dimensions are those of another, minus single-valued
    ones, or coarsened country → UN sub-region → UN region, is its sum), flag-family bounds (a flag
    count <= its table-without-the-family count; substantive flag <= "(any information)" <= sum of
    substantive flags) and bounds (suppressed cell >= 1; rounded cell within its rounding interval).
    A suppressed cell violates when its LP interval holds only one integer.
    """
    data, problems = _load(con, tables, threshold)
    m = _model(tables, data)
    for cells, eqs, les in _groups(m):
        for ti, key in _intervals(m, cells, eqs, les):
            if m.hi[(ti, key)] != m.lo[(ti, key)] and data[ti][key][1]:
                problems.append(f"{tables[ti].name}{key}: suppressed cell is recoverable exactly")
    return problems
