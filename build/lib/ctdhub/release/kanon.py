"""k-anonymised microdata: full-domain generalisation over the QI lattice, then record suppression.

Algorithm (Samarati / Incognito / ARX style, all counting in DuckDB):

1. One pass over the source builds ``_kanon_freq``: one row per distinct QI combination with its count
   and the generalised value of every QI at every level (level > 0 is a function of level 0).
2. A lattice node is a vector of levels, one per QI. Evaluating a node is one ``GROUP BY`` over the
   frequency table: records in equivalence classes smaller than ``k`` would be suppressed; the node is
   *feasible* when they are at most ``floor(max_suppression * rows_in)``. Nodes are evaluated bottom-up
   (by height), several per query (``UNION ALL``).
3. Monotonicity: every generalisation of a feasible node is feasible, with generalisation loss at least
   its own. So (a) if the top node is infeasible nothing is, and all records are suppressed; (b) a node
   whose generalisation loss is already >= the best total loss found cannot win and is never evaluated.
4. The chosen node minimises total loss (ties: lower generalisation loss, then lexicographic levels).

Information loss, each in [0, 1]:

- ``generalisation`` — precision metric: mean over QIs of level / height (0 = as stored, 1 = withheld);
- ``suppression`` — share of input records dropped;
- ``total`` — per-record average loss counting a dropped record as fully lost:
  ``suppression + (1 - suppression) * generalisation``.

The output table has every field of the standard (hub ids, provenance and warnings removed), QIs
generalised in place (same column name; the level is in the result and in a column comment), rows in a
deterministic order (generalised QIs, then a hash of the hub case id — never the ingest order).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from ctdhub.release.hierarchy import (
    MAJORITY_FIELD,
    Hierarchy,
    ensure_region_table,
    geo_joins,
    hierarchy_for,
    majority_expr,
)
from ctdhub.sql import qi, ql
from ctdhub.standard import Standard, load_standard

FREQ_TABLE = "_kanon_freq"
_BATCH = 48
Node = tuple[int, ...]


@dataclass(frozen=True)
class KanonResult:
    """What ``k_anonymise`` produced."""

    table: str
    k: int
    quasi_identifiers: list[str]
    levels: dict[str, int]
    level_names: dict[str, str]
    rows_in: int
    rows_out: int
    rows_suppressed: int
    max_suppressed: int  # the most rows ``max_suppression`` allows to suppress
    k_achieved: int
    information_loss: dict[str, float]
    candidates_evaluated: int


def _col(i: int, level: int) -> str:
    return qi(f"q{i}_l{level}")


def _gen_loss(node: Node, hs: list[Hierarchy]) -> float:
    return sum(lv / h.height for lv, h in zip(node, hs, strict=True)) / len(hs) if hs else 0.0


def _total_loss(gen: float, supp: float) -> float:
    return supp + (1.0 - supp) * gen


class _Lattice:
    """Evaluates lattice nodes against integer-coded frequency tables (rolled up by country level)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, hs: list[Hierarchy], k: int) -> None:
        self.con, self.hs, self.k = con, hs, k
        self.heavy = [i for i, h in enumerate(hs) if h.kind == "country"]
        self.cards: dict[tuple[int, int], int] = {}
        self.rollups: dict[tuple[int, ...], str] = {}
        self.evaluated = 0

    def build(self, source: str) -> int:
        """Build the coded frequency table; return the number of input rows."""
        hs = self.hs
        ensure_region_table(self.con)
        levels = [(i, lv) for i, h in enumerate(hs) for lv in range(h.height)]
        vals = [f"{hs[i].exprs[lv]} AS {_col(i, lv)}" for i, lv in levels]
        group = "GROUP BY ALL" if vals else ""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {FREQ_TABLE}_v AS SELECT {', '.join([*vals, 'count(*) AS n'])} "
            f"FROM {source} AS s {geo_joins(hs)} {group}"
        )
        codes = [
            f"CAST(dense_rank() OVER (ORDER BY {_col(i, lv)} NULLS FIRST) - 1 AS INTEGER) AS {_col(i, lv)}"
            for i, lv in levels
        ]
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {FREQ_TABLE} AS SELECT {', '.join([*codes, 'n'])} FROM {FREQ_TABLE}_v"
        )
        self.con.execute(f"DROP TABLE {FREQ_TABLE}_v")
        maxes = ", ".join([*(f"max({_col(i, lv)})" for i, lv in levels), "sum(n)"])
        row = next(iter(self.con.execute(f"SELECT {maxes} FROM {FREQ_TABLE}").fetchall()), ())
        for j, (i, lv) in enumerate(levels):
            self.cards[(i, lv)] = int(row[j]) + 1 if row[j] is not None else 1
        self.rollups[tuple(0 for _ in self.heavy)] = FREQ_TABLE
        return int(row[-1]) if row and row[-1] is not None else 0

    def _table(self, node: Node) -> str:
        key = tuple(node[i] for i in self.heavy)
        if key not in self.rollups:
            name = f"{FREQ_TABLE}_" + "_".join(map(str, key))
            keep = [
                _col(i, lv)
                for i, h in enumerate(self.hs)
                for lv in range(h.height)
                if i not in self.heavy or lv >= node[i]
            ]
            sel = ", ".join([*keep, "sum(n) AS n"])
            group = f"GROUP BY {', '.join(keep)}" if keep else ""
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {sel} FROM {FREQ_TABLE} {group}")
            self.rollups[key] = name
        return self.rollups[key]

    def _sql(self, node: Node, tag: int) -> str:
        parts = [(i, lv) for i, lv in enumerate(node) if lv < self.hs[i].height]
        mult, key = 1, []
        for i, lv in parts:
            key.append(f"CAST({_col(i, lv)} AS BIGINT) * {mult}")
            mult *= self.cards[(i, lv)]
        if mult >= 2**62:
            group = "GROUP BY " + ", ".join(_col(i, lv) for i, lv in parts)
        else:
            group = f"GROUP BY {' + '.join(key)}" if key else ""
        return (
            f"SELECT {tag} AS node, coalesce(sum(c) FILTER (WHERE c < {self.k}), 0) AS supp "
            f"FROM (SELECT sum(n) AS c FROM {self._table(node)} {group})"
        )

    def evaluate(self, nodes: list[Node]) -> dict[Node, int]:
        """Records that would be suppressed at each node."""
        out: dict[Node, int] = {}
        for start in range(0, len(nodes), _BATCH):
            chunk = nodes[start : start + _BATCH]
            sql = " UNION ALL ".join(self._sql(n, j) for j, n in enumerate(chunk))
            for tag, supp in self.con.execute(sql).fetchall():
                out[chunk[int(tag)]] = int(supp)
        self.evaluated += len(nodes)
        return out

    def drop(self) -> None:
        for name in self.rollups.values():
            self.con.execute(f"DROP TABLE IF EXISTS {name}")


def _children(node: Node) -> list[Node]:
    """Direct specialisations (one QI one level lower)."""
    return [(*node[:i], lv - 1, *node[i + 1 :]) for i, lv in enumerate(node) if lv > 0]


def _parents(node: Node, hs: list[Hierarchy]) -> list[Node]:
    """Direct generalisations (one QI one level higher)."""
    return [(*node[:i], lv + 1, *node[i + 1 :]) for i, lv in enumerate(node) if lv < hs[i].height]


class _Search:
    """The state of the lattice search: the records suppressed at each node evaluated, the nodes known to
    be infeasible and the best node so far (starting from the feasible top node)."""

    def __init__(self, lat: _Lattice, budget: int, rows_in: int, supp_of: dict[Node, int], top: Node) -> None:
        self.lat, self.hs, self.budget, self.rows_in = lat, lat.hs, budget, rows_in
        self.supp_of = supp_of
        self.infeasible: set[Node] = set()
        self.best, self.best_supp = self.loss(top, supp_of[top]), supp_of[top]

    def loss(self, node: Node, supp: int) -> tuple[float, float, Node]:
        """(total loss, generalisation loss, node): nodes compare in order of preference."""
        gen = _gen_loss(node, self.hs)
        return (_total_loss(gen, supp / self.rows_in if self.rows_in else 0.0), gen, node)

    def descend(self, top: Node) -> None:
        """Phase 1: from the top, step to the direct specialisation of least loss while one is feasible."""
        current = top
        while True:
            kids = [c for c in _children(current) if c not in self.supp_of]
            self.supp_of.update(self.lat.evaluate(kids))
            ok = [c for c in _children(current) if self.supp_of[c] <= self.budget]
            if not ok:
                return
            current = min(ok, key=lambda c: self.loss(c, self.supp_of[c]))
            self.best, self.best_supp = min(
                (self.best, self.best_supp),
                (self.loss(current, self.supp_of[current]), self.supp_of[current]),
            )

    def sweep(self) -> None:
        """Phase 2: the lattice's nodes height by height, top-down."""
        self.infeasible = {n for n, s in self.supp_of.items() if s > self.budget}
        by_height: dict[int, list[Node]] = {}
        for node in itertools.product(*(range(h.height + 1) for h in self.hs)):
            by_height.setdefault(sum(node), []).append(node)
        for height in sorted(by_height, reverse=True):
            self.evaluate_level(by_height[height])
            self.record_level(by_height[height])

    def evaluate_level(self, nodes: list[Node]) -> None:
        """Evaluate the nodes of one height that may still win; a node with an infeasible direct
        generalisation is infeasible, and one whose generalisation loss alone reaches the best total
        loss cannot win."""
        todo: list[Node] = []
        for node in nodes:
            if any(p in self.infeasible for p in _parents(node, self.hs)):
                self.infeasible.add(node)
            elif node not in self.supp_of and _gen_loss(node, self.hs) < self.best[0]:
                todo.append(node)
        self.supp_of.update(self.lat.evaluate(todo))

    def record_level(self, nodes: list[Node]) -> None:
        """Mark the evaluated nodes of one height infeasible, or take one as the best when it beats it."""
        for node in nodes:
            s = self.supp_of.get(node)
            if s is None:
                continue
            if s > self.budget:
                self.infeasible.add(node)
            elif self.loss(node, s) < self.best:
                self.best, self.best_supp = self.loss(node, s), s


def _search(lat: _Lattice, budget: int, rows_in: int) -> tuple[Node, int]:
    """(chosen node, records suppressed there).

    Phase 1 descends greedily from the top to a k-minimal node, giving an upper bound on the loss.
    Phase 2 visits, top-down by height, every node whose generalisation loss is below the best total
    loss; a node with a known-infeasible direct generalisation is infeasible (monotonicity) and skipped.
    """
    top: Node = tuple(h.height for h in lat.hs)
    supp_of = lat.evaluate([top])
    if supp_of[top] > budget:  # nothing is feasible: withhold everything, drop everything
        return top, supp_of[top]
    search = _Search(lat, budget, rows_in, supp_of, top)
    search.descend(top)
    search.sweep()
    return search.best[2], search.best_supp


def _write_output(
    con: duckdb.DuckDBPyConnection,
    source: str,
    out: str,
    std: Standard,
    hs: list[Hierarchy],
    node: tuple[int, ...],
    k: int,
) -> None:
    gen = {h.field: h.exprs[lv] for h, lv in zip(hs, node, strict=True)}
    if std.has_field(MAJORITY_FIELD):
        gen.setdefault(MAJORITY_FIELD, majority_expr(std))  # consistent with the age band even if not a QI
    select = ", ".join(f"{gen.get(f, 's.' + qi(f))} AS {qi(f)}" for f in std.field_names)
    part = ", ".join(qi(h.field) for h in hs)
    window = f"count(*) OVER (PARTITION BY {part})" if hs else "count(*) OVER ()"
    order = ", ".join([*(f"{qi(h.field)} NULLS FIRST" for h in hs), "_ord"])
    con.execute(
        f"CREATE OR REPLACE TABLE {qi(out)} AS "
        f"WITH g AS (SELECT {select}, hash(s.case_id) AS _ord FROM {source} AS s {geo_joins(hs)}), "
        f"w AS (SELECT *, {window} AS _cls FROM g) "
        f"SELECT * EXCLUDE (_cls, _ord) FROM w WHERE _cls >= {k} ORDER BY {order}"
    )
    for h, lv in zip(hs, node, strict=True):
        note = f"k-anonymised (k={k}): generalised to level {lv} ({h.level_names[lv]})"
        con.execute(f"COMMENT ON COLUMN {qi(out)}.{qi(h.field)} IS {ql(note)}")


def k_anonymise(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    out: str = "kanon",
    k: int = 10,
    quasi_identifiers: Sequence[str] | None = None,
    max_suppression: float = 0.05,
    std: Standard | None = None,
) -> KanonResult:
    """Create table ``out`` with a k-anonymous release of ``source`` (a table or view shaped like ``cases``)."""
    if k < 1:
        raise ValueError("k must be >= 1")
    if not 0.0 <= max_suppression <= 1.0:
        raise ValueError("max_suppression must be in [0, 1]")
    std = std or load_standard()
    qis = list(std.quasi_identifiers if quasi_identifiers is None else quasi_identifiers)
    hs = [hierarchy_for(std, q) for q in qis]
    lat = _Lattice(con, hs, k)
    rows_in = lat.build(source)
    budget = math.floor(max_suppression * rows_in + 1e-9)
    node, supp = _search(lat, budget, rows_in)
    lat.drop()
    _write_output(con, source, out, std, hs, node, k)
    rows_out = _count(con, f"SELECT count(*) FROM {qi(out)}")
    group = f"GROUP BY {', '.join(qi(q) for q in qis)}" if qis else ""
    k_achieved = _count(con, f"SELECT coalesce(min(c), 0) FROM (SELECT count(*) AS c FROM {qi(out)} {group})")
    if rows_in - rows_out != supp:
        raise RuntimeError(f"k-anonymisation: {rows_in - rows_out} rows dropped, lattice said {supp}")
    gen = _gen_loss(node, hs)
    s = supp / rows_in if rows_in else 0.0
    return KanonResult(
        table=out,
        k=k,
        quasi_identifiers=qis,
        levels={h.field: lv for h, lv in zip(hs, node, strict=True)},
        level_names={h.field: h.level_names[lv] for h, lv in zip(hs, node, strict=True)},
        rows_in=rows_in,
        rows_out=rows_out,
        rows_suppressed=rows_in - rows_out,
        max_suppressed=budget,
        k_achieved=k_achieved,
        information_loss={"generalisation": gen, "suppression": s, "total": _total_loss(gen, s)},
        candidates_evaluated=lat.evaluated,
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = next(iter(con.execute(sql).fetchall()), None)
    return int(row[0]) if row else 0
