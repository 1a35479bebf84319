"""Primary and secondary cell suppression over a set of linked frequency tables.

The tables are held as cells (one per non-zero combination; an absent cell is a published zero).
``link`` derives the relations an attacker can use, ``protect`` suppresses.

Relations (all between cells that exist, i.e. count > 0):

- **Margin / hierarchy equalities.** Table M is *derivable* from table T when each dimension of M is a
  dimension of T or a coarsening of one (country → UN sub-region → UN region), and the remaining
  dimensions of T are single-valued (summed out). Then every cell of M equals the sum of the cells of T
  that project onto it. This covers rows, columns and margins within a table (the 1-way table is the
  margin of each 2-way table, the total of each 1-way table, the 2-way tables of each 3-way table) and
  the geographic hierarchies. Flag-family dimensions are never summed out (a case can have several
  flags); a family dimension must match category by category, so each flag is modelled as its own
  slice "flag = 1": its cells add up along the other dimensions exactly like an ordinary table.
- **Flag-family inequalities.** For a family category c: ``T(x, c) <= B(x)`` where B is the table
  without the family (flag = 1 count + flag = 0 count + unknown = total, the last two unpublished);
  ``T(x, f) <= T(x, any)`` for each substantive flag f; ``T(x, any) <= sum_f T(x, f)``.
- **Bounds.** Every suppressed cell is >= 1 (zero cells are absent, so a listed cell is not zero).

Primary suppression: 0 < count < threshold. Secondary suppression, iterated to a fixed point:
(1) every equality with exactly one suppressed member gets another — the published member that opens
the fewest new such equalities (so suppression does not cascade through linked tables), then the smallest;
(2) an LP check per connected group of suppressed cells (scipy HiGHS) finds any suppressed cell whose
feasible interval under all relations holds only its true integer value; maximising that cell, the relations
with a non-zero dual are the ones that hold it, and the cheapest of their published members (same rule) is
suppressed too — all of them once a cell has stayed determined for a few rounds; back to (1). A cell proven
safe stays safe (more suppression only frees variables), so it is not checked again. Suppressing everything
in a group is always safe (the constraints become homogeneous), so the loop terminates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

Key = tuple[str, ...]
_EPS = 1e-6
_MAX_SINGLE_LPS = 24
_GENTLE_ROUNDS = 3  # rounds of one-partner repair for a cell before all binding partners


@dataclass
class CellTable:
    """One frequency table: cells by dimension values, with true counts (> 0)."""

    name: str
    dims: tuple[str, ...]
    cells: dict[Key, int]


@dataclass(frozen=True)
class Linkage:
    """What is known about the dimensions: flag families and coarsening maps."""

    families: dict[str, tuple[frozenset[str], str]] = field(
        default_factory=dict
    )  # name -> (substantive, any)
    coarsen: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (coarse, fine) -> map


@dataclass
class Relations:
    """Cells indexed globally, with the equalities and inequalities between them."""

    ids: list[dict[Key, int]]
    counts: np.ndarray
    equalities: list[tuple[int, list[int]]]  # margin = sum(children)
    inequalities: list[tuple[list[int], list[int]]]  # sum(lhs) <= sum(rhs)
    by_cell: list[list[int]]  # relation indices per cell: eq as i, ineq as -1 - i

    def members(self, r: int) -> list[int]:
        if r >= 0:
            m, ch = self.equalities[r]
            return [m, *ch]
        lhs, rhs = self.inequalities[-1 - r]
        return [*lhs, *rhs]


def _projection(t: CellTable, m: CellTable, link: Linkage) -> list[tuple[int, dict[str, str] | None]] | None:
    """For each dim of m, (index of its source dim in t, coarsening map or None); None if not derivable."""
    used: set[int] = set()
    proj: list[tuple[int, dict[str, str] | None]] = []
    for d in m.dims:
        if d in t.dims:
            proj.append((t.dims.index(d), None))
            used.add(t.dims.index(d))
            continue
        src = [i for i, f in enumerate(t.dims) if (d, f) in link.coarsen and f not in m.dims]
        if len(src) != 1:
            return None
        proj.append((src[0], link.coarsen[(d, t.dims[src[0]])]))
        used.add(src[0])
    summed = [t.dims[i] for i in range(len(t.dims)) if i not in used]
    if any(d in link.families for d in summed):
        return None
    if not summed and all(mp is None for _, mp in proj):
        return None  # same table
    return proj


def link(tables: Sequence[CellTable], linkage: Linkage) -> Relations:
    """Index cells and derive every relation between them."""
    ids, counts = _index_cells(tables)
    eqs = _margin_equalities(tables, ids, linkage)
    ineqs = _family_inequalities(tables, ids, linkage)
    return Relations(
        ids, np.array(counts, dtype=float), eqs, ineqs, _relations_by_cell(len(counts), eqs, ineqs)
    )


def _index_cells(tables: Sequence[CellTable]) -> tuple[list[dict[Key, int]], list[int]]:
    """A global index for every cell (table by table, keys sorted), and the counts in that order."""
    ids: list[dict[Key, int]] = []
    counts: list[int] = []
    for t in tables:
        idx: dict[Key, int] = {}
        for key in sorted(t.cells):
            idx[key] = len(counts)
            counts.append(t.cells[key])
        ids.append(idx)
    return ids, counts


def _margin_equalities(
    tables: Sequence[CellTable], ids: list[dict[Key, int]], linkage: Linkage
) -> list[tuple[int, list[int]]]:
    """margin = sum(children) for each table derivable from another directly (not through a third)."""
    projs = {
        (ti, mi): p
        for ti, t in enumerate(tables)
        for mi, m in enumerate(tables)
        if ti != mi and (p := _projection(t, m, linkage)) is not None
    }
    eqs: list[tuple[int, list[int]]] = []
    for (ti, mi), proj in sorted(projs.items()):
        if any((ti, i) in projs and (i, mi) in projs for i in range(len(tables))):
            continue  # implied by a chain through an intermediate table
        eqs += _sum_equalities(tables[ti], tables[mi], ids[ti], ids[mi], proj)
    return eqs


def _sum_equalities(
    t: CellTable,
    m: CellTable,
    t_ids: dict[Key, int],
    m_ids: dict[Key, int],
    proj: list[tuple[int, dict[str, str] | None]],
) -> list[tuple[int, list[int]]]:
    """Each cell of `m` is the sum of the cells of `t` that `proj` maps onto it (ValueError when such
    cells exist but the cell of `m` is zero)."""
    groups: dict[Key, list[int]] = {}
    for key, cid in t_ids.items():
        pk = tuple(key[i] if mp is None else mp.get(key[i], "Unknown") for i, mp in proj)
        groups.setdefault(pk, []).append(cid)
    eqs: list[tuple[int, list[int]]] = []
    for pk, children in groups.items():
        margin = m_ids.get(pk)
        if margin is None:
            raise ValueError(f"inconsistent tables: {m.name}{pk} is zero but {t.name} is not")
        eqs.append((margin, children))
    return eqs


def _relations_by_cell(
    n: int, eqs: list[tuple[int, list[int]]], ineqs: list[tuple[list[int], list[int]]]
) -> list[list[int]]:
    """The relations of each of the `n` cells: equality r as r, inequality r as -1 - r."""
    by_cell: list[list[int]] = [[] for _ in range(n)]
    for r, (mc, ch) in enumerate(eqs):
        for c in (mc, *ch):
            by_cell[c].append(r)
    for r, (lhs, rhs) in enumerate(ineqs):
        for c in {*lhs, *rhs}:
            by_cell[c].append(-1 - r)
    return by_cell


def _family_inequalities(
    tables: Sequence[CellTable], ids: list[dict[Key, int]], linkage: Linkage
) -> list[tuple[list[int], list[int]]]:
    out: list[tuple[list[int], list[int]]] = []
    by_dims = {t.dims: i for i, t in enumerate(tables)}
    for ti, t in enumerate(tables):
        fams = [i for i, d in enumerate(t.dims) if d in linkage.families]
        if len(fams) != 1:
            continue
        fi = fams[0]
        substantive, any_cat = linkage.families[t.dims[fi]]
        base = by_dims.get(t.dims[:fi] + t.dims[fi + 1 :])
        slices: dict[Key, dict[str, int]] = {}
        for key, cid in ids[ti].items():
            rest = key[:fi] + key[fi + 1 :]
            slices.setdefault(rest, {})[key[fi]] = cid
            if base is not None:
                out.append(([cid], [ids[base][rest]]))
        for cats in slices.values():
            flags = [cid for cat, cid in cats.items() if cat in substantive]
            any_id = cats.get(any_cat)
            if any_id is None:
                continue
            out += [([f], [any_id]) for f in flags]
            out.append(([any_id], flags))
    return out


def _components(rel: Relations, suppressed: np.ndarray) -> list[list[int]]:
    parent = {int(c): int(c) for c in np.flatnonzero(suppressed)}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in range(-len(rel.inequalities), len(rel.equalities)):
        sup = [c for c in rel.members(r) if suppressed[c]]
        for c in sup[1:]:
            a, b = find(sup[0]), find(c)
            if a != b:
                parent[a] = b
    comps: dict[int, list[int]] = {}
    for c in parent:
        comps.setdefault(find(c), []).append(c)
    return [sorted(v) for _, v in sorted(comps.items())]


System = tuple[coo_matrix | None, np.ndarray, coo_matrix | None, np.ndarray]


def _lp_system(rel: Relations, comp: list[int], suppressed: np.ndarray) -> tuple[System, list[list[int]]]:
    """Equalities and inequalities over the component's suppressed cells (published cells are constants),
    and the relation index of each equality row and of each inequality row."""
    row_rels: list[list[int]] = [[], []]
    col = {c: j for j, c in enumerate(comp)}
    rels = sorted({r for c in comp for r in rel.by_cell[c]})
    eq_rows: list[tuple[dict[int, float], float]] = []
    ub_rows: list[tuple[dict[int, float], float]] = []
    for r in rels:
        if r >= 0:
            m, ch = rel.equalities[r]
            terms = [(m, -1.0), *((c, 1.0) for c in ch)]
            target = eq_rows
        else:
            lhs, rhs = rel.inequalities[-1 - r]
            terms = [*((c, 1.0) for c in lhs), *((c, -1.0) for c in rhs)]
            target = ub_rows
        row_rels[0 if r >= 0 else 1].append(r)
        coef: dict[int, float] = {}
        const = 0.0
        for c, s in terms:
            if suppressed[c]:
                coef[col[c]] = coef.get(col[c], 0.0) + s
            else:
                const += s * rel.counts[c]
        target.append((coef, -const))
    return (*_sparse(eq_rows, len(comp)), *_sparse(ub_rows, len(comp))), row_rels


def _sparse(rows: list[tuple[dict[int, float], float]], n: int) -> tuple[coo_matrix | None, np.ndarray]:
    if not rows:
        return None, np.zeros(0)
    r_idx = [i for i, (coef, _) in enumerate(rows) for _ in coef]
    c_idx = [j for coef, _ in rows for j in coef]
    vals = [v for coef, _ in rows for v in coef.values()]
    return coo_matrix((vals, (r_idx, c_idx)), shape=(len(rows), n)), np.array([b for _, b in rows])


def _solve(c: np.ndarray, system: System, bounds: list[tuple[float, float | None]]) -> np.ndarray | None:
    """An optimal vertex, or None when unbounded."""
    res = _linprog(c, system, bounds)
    return None if res is None else np.asarray(res.x, dtype=float)


def _linprog(c: np.ndarray, system: System, bounds: list[tuple[float, float | None]]) -> Any:
    """scipy's HiGHS result (primal and duals), or None when unbounded."""
    a_eq, b_eq, a_ub, b_ub = system
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub if a_ub is not None else None,
        A_eq=a_eq,
        b_eq=b_eq if a_eq is not None else None,
        bounds=bounds,
        method="highs",
    )
    if res.status == 3:
        return None
    if res.status != 0:
        raise RuntimeError(f"suppression LP failed: {res.message}")
    return res


def pinning_cells(
    rel: Relations,
    comp: list[int],
    suppressed: np.ndarray,
    system: System,
    row_rels: list[list[int]],
    cells: Sequence[int],
) -> dict[int, list[int] | None]:
    """Per cell, the published cells in the relations that hold it at its maximum (None: it is not held).

    Maximise the cell; the relations with a non-zero dual are the ones that bind. Turning one of their
    published members into an unknown is what can give the cell room (suppressing a cell elsewhere in
    the component usually does not). ``system`` and ``row_rels`` come from ``_lp_system``.
    """
    col = {c: j for j, c in enumerate(comp)}
    out: dict[int, list[int] | None] = {}
    for cell in cells:
        c = np.zeros(len(comp))
        c[col[cell]] = -1.0
        res = _linprog(c, system, [(1.0, None)] * len(comp))
        if res is None or res.x[col[cell]] >= rel.counts[cell] + 1 - _EPS:
            out[cell] = None  # not determined after all (it can grow): no partner needed
            continue
        binding: set[int] = set()
        for kind, lin in ((0, res.eqlin), (1, res.ineqlin)):
            if lin is None or not row_rels[kind]:
                continue
            for r, dual in zip(row_rels[kind], np.asarray(lin.marginals), strict=True):
                if abs(dual) > _EPS:
                    binding.add(r)
        out[cell] = sorted({m for r in binding for m in rel.members(r) if not suppressed[m]})
    return out


def determined_cells(
    rel: Relations, comp: list[int], system: System, known_safe: np.ndarray | None = None
) -> list[int]:
    """Suppressed cells of a component whose LP interval holds no integer but the true value.

    The true values x* are feasible, so a cell is safe once some feasible point has it at x* ± 1.
    First many cells at once: push the unresolved cells in random directions inside the box x* ± 1;
    then one LP per remaining cell without the box — unless too many remain, in which case
    they are all reported (more suppression than strictly needed, never less).
    Cells flagged in ``known_safe`` (global mask) are not re-checked; the mask is updated with the cells
    proven safe here. Suppressing more cells only frees variables, so a proof stays valid.
    """
    n = len(comp)
    safe = np.zeros(n, dtype=bool) if known_safe is None else known_safe[comp].copy()
    truth = rel.counts[comp]
    box = [(max(1.0, t - 1.0), t + 1.0) for t in truth]
    rng = np.random.default_rng(0)  # deterministic
    stale = 0
    while not safe.all() and stale < 3:
        x = _solve(np.where(safe, 0.0, rng.choice([-1.0, 1.0], n)), system, box)
        newly = ~safe & (np.abs(x - truth) >= 1 - _EPS) if x is not None else ~safe
        stale = 0 if newly.any() else stale + 1
        safe |= newly
    if (~safe).sum() <= _MAX_SINGLE_LPS:  # else conservative: treat them all as at risk
        free: list[tuple[float, float | None]] = [(1.0, None)] * n
        for j in np.flatnonzero(~safe):
            for sign in (-1.0, 1.0):
                c = np.zeros(n)
                c[j] = sign
                x = _solve(c, system, free)
                if x is None or abs(x[j] - truth[j]) >= 1 - _EPS:
                    safe[j] = True
                    break
                safe |= np.abs(x - truth) >= 1 - _EPS
    if known_safe is not None:
        known_safe[np.asarray(comp)[safe]] = True
    return [comp[j] for j in np.flatnonzero(~safe)]


class _State:
    """Suppression flags and, per equality, how many of its members are suppressed (kept up to date)."""

    def __init__(self, rel: Relations, suppressed: np.ndarray) -> None:
        self.rel = rel
        self.suppressed = suppressed
        self.n_sup = np.zeros(len(rel.equalities), dtype=np.int64)
        for r, (m, ch) in enumerate(rel.equalities):
            self.n_sup[r] = int(suppressed[m]) + int(suppressed[ch].sum()) if ch else int(suppressed[m])

    def suppress(self, c: int) -> None:
        self.suppressed[c] = True
        for r in self.rel.by_cell[c]:
            if r >= 0:
                self.n_sup[r] += 1

    def cost(self, c: int) -> tuple[int, float, int]:
        """Prefer cells that open no new equality with a single suppressed member (no cascade), then small."""
        opened = sum(1 for r in self.rel.by_cell[c] if r >= 0 and self.n_sup[r] == 0)
        return (opened, float(self.rel.counts[c]), c)

    def pick(self, cells: Iterable[int]) -> int | None:
        cands = [c for c in set(cells) if not self.suppressed[c]]
        return min(cands, key=self.cost) if cands else None


def _line_pass(st: _State, reason: list[str | None]) -> None:
    rel = st.rel
    todo = {r for r in range(len(rel.equalities)) if st.n_sup[r] == 1}
    while todo:
        r = todo.pop()
        if st.n_sup[r] != 1:
            continue
        pick = st.pick(rel.members(r))
        if pick is None:
            continue
        st.suppress(pick)
        reason[pick] = "secondary"
        todo.update(x for x in rel.by_cell[pick] if x >= 0 and st.n_sup[x] == 1)


def protect(rel: Relations, threshold: int) -> list[str | None]:
    """Reason per cell: 'primary', 'secondary' or None (published)."""
    suppressed = (rel.counts > 0) & (rel.counts < threshold)
    reason: list[str | None] = ["primary" if s else None for s in suppressed]
    st = _State(rel, suppressed)
    known_safe = np.zeros(len(suppressed), dtype=bool)
    attempts = np.zeros(len(suppressed), dtype=np.int64)
    while True:
        _line_pass(st, reason)
        if not _lp_pass(st, reason, known_safe, attempts):
            return reason


def _lp_pass(st: _State, reason: list[str | None], known_safe: np.ndarray, attempts: np.ndarray) -> bool:
    """Check the components not yet known safe in turn; at the first whose determined cells get partners,
    suppress those and return True (the components have changed). False: every component is safe."""
    for comp in _components(st.rel, st.suppressed):
        if known_safe[comp].all():
            continue
        changed = False
        for pick in sorted(_component_partners(st, comp, known_safe, attempts)):
            if not st.suppressed[pick]:
                st.suppress(pick)
                reason[pick] = "secondary"
                changed = True
        if changed:
            return True
    return False


def _component_partners(
    st: _State, comp: list[int], known_safe: np.ndarray, attempts: np.ndarray
) -> set[int]:
    """Partners for the component's determined cells, from the first chunk of them that yields any (a
    chunk at a time: most need one LP each)."""
    system, row_rels = _lp_system(st.rel, comp, st.suppressed)
    bad = determined_cells(st.rel, comp, system, known_safe)
    for i in range(0, len(bad), _MAX_SINGLE_LPS):
        chunk = bad[i : i + _MAX_SINGLE_LPS]
        pins = pinning_cells(st.rel, comp, st.suppressed, system, row_rels, chunk)
        picks = _chunk_partners(st, comp, chunk, pins, known_safe, attempts)
        if picks:
            return picks
    return set()


def _chunk_partners(
    st: _State,
    comp: list[int],
    chunk: list[int],
    pins: dict[int, list[int] | None],
    known_safe: np.ndarray,
    attempts: np.ndarray,
) -> set[int]:
    """Partners for each cell of the chunk that its relations hold (`pins`); a cell not held is safe."""
    picks: set[int] = set()
    for c in chunk:
        cands = pins[c]
        if cands is None:
            known_safe[c] = True
            continue
        attempts[c] += 1
        picks.update(_partners(st, st.rel, c, comp, cands, widen=attempts[c] > _GENTLE_ROUNDS))
    return picks


def _partners(
    st: _State, rel: Relations, c: int, comp: list[int], cands: list[int], *, widen: bool
) -> list[int]:
    """Published cells to suppress so that the determined cell ``c`` gets room.

    ``cands`` are the published members of the relations that bind ``c`` (LP duals), else of any relation
    of ``c``, else of the component. Normally the cheapest candidate; when that keeps failing (suppression
    walking through linked tables a few cells per round), all binding candidates at once: more
    suppression, but the loop ends in a few rounds on any table set.
    """
    if widen and cands:
        return cands
    pick = st.pick(cands)
    if pick is None:
        pick = st.pick(m for r in rel.by_cell[c] for m in rel.members(r))
    if pick is None:
        pick = st.pick(m for x in comp for r in rel.by_cell[x] for m in rel.members(r))
    return [] if pick is None else [pick]
