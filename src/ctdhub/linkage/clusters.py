"""Records of one person: greedy clustering of the matched pairs under the hub team's decisions.

A keyed row that repeats another row of its file exactly (validation's `duplicate_row`: the same linkage
key, case number and every other value) is the same record sent twice, and joins its original first. Pairs
the team *accepted* are linked next, whatever else holds (a forced link). Then the matched pairs,
best score first (ties by case ids, so a run is repeatable), join their two clusters unless that would

- put two records of one contributor in one person (a contributor rarely registers one person twice: such
  a link is left to the team, who can accept it), or
- join two records the team *rejected* as one person (a cannot-link, also when it is indirect: A–B matched,
  B–C matched, A–C rejected keeps C out of A's person).

This is plain Python over the pair list, with a union-find whose roots keep their members, contributors
and cannot-links: only pairs at or above the threshold and decided pairs come here (a few per keyed
record at most), and the greedy order — each merge depends on all the merges before it — is sequential by
nature, which set-based SQL would express only as a recursive query per step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    """A matched pair: two case ids and its score."""

    case_a: str
    case_b: str
    score: float


@dataclass
class _Group:
    members: list[str]
    contributors: set[str]
    cannot: set[str] = field(default_factory=set)  # records no member may be linked to
    decided: bool = False  # an accepted decision joined it
    linked: bool = False  # a matched pair joined it
    repeated: bool = False  # a repeated row joined it


@dataclass(frozen=True)
class Clustering:
    """Each case's representative (the smallest case id of its cluster) and what the merges met."""

    representative: dict[str, str]
    by_decision: frozenset[str]  # representatives of clusters an accepted decision joined
    by_repeat: frozenset[str]  # representatives of clusters only repeated rows joined
    merged: int  # matched pairs that joined two clusters
    refused_contributor: int  # matched pairs left apart: their merge would hold one contributor twice
    refused_rejected: int  # matched pairs left apart by a rejected decision
    forced_over_rejection: int  # accepted pairs linked although a rejected decision stood between them


class _UnionFind:
    """Union-find over the cases; a case gets its group only when a link or decision names it (most cases
    are never linked and stay their own person)."""

    def __init__(self, contributor: Mapping[str, str]) -> None:
        self.contributor = contributor
        self.parent: dict[str, str] = {}
        self.groups: dict[str, _Group] = {}

    def find(self, case: str) -> str:
        if case not in self.parent:
            self.parent[case] = case
            self.groups[case] = _Group([case], {self.contributor[case]})
            return case
        root = case
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[case] != root:  # path compression
            self.parent[case], case = root, self.parent[case]
        return root

    def roots(self, a: str, b: str) -> tuple[str, str] | None:
        """The roots of a and b when both are known cases in two clusters, else None."""
        if a not in self.contributor or b not in self.contributor:
            return None
        ra, rb = self.find(a), self.find(b)
        return None if ra == rb else (ra, rb)

    def forbid(self, a: str, b: str) -> None:
        """A cannot-link between a and b (when both are known cases)."""
        if a in self.contributor and b in self.contributor:
            self.groups[self.find(a)].cannot.add(b)
            self.groups[self.find(b)].cannot.add(a)

    def conflict(self, ra: str, rb: str) -> str | None:
        """Why clusters ra and rb may not merge ("contributor", "rejected"), or None."""
        ga, gb = self.groups[ra], self.groups[rb]
        small, large = (ga, gb) if len(ga.members) <= len(gb.members) else (gb, ga)
        if any(m in large.cannot for m in small.members):
            return "rejected"
        if ga.contributors & gb.contributors:
            return "contributor"
        return None

    def union(
        self, ra: str, rb: str, *, decided: bool = False, linked: bool = False, repeated: bool = False
    ) -> None:
        ga, gb = self.groups[ra], self.groups[rb]
        if len(ga.members) < len(gb.members):
            ra, rb, ga, gb = rb, ra, gb, ga
        self.parent[rb] = ra
        ga.members += gb.members
        ga.contributors |= gb.contributors
        ga.cannot |= gb.cannot
        ga.decided = ga.decided or gb.decided or decided
        ga.linked = ga.linked or gb.linked or linked
        ga.repeated = ga.repeated or gb.repeated or repeated
        del self.groups[rb]


def cluster(
    contributor: Mapping[str, str],
    links: Iterable[Link],
    *,
    repeats: Iterable[tuple[str, str]] = (),
    accepted: Iterable[tuple[str, str]] = (),
    rejected: Iterable[tuple[str, str]] = (),
) -> Clustering:
    """Cluster the cases of `contributor` (case id → contributor). `repeats` are (repeated row, original)
    pairs. Links, repeats and decisions naming a case not in `contributor` are ignored."""
    uf = _UnionFind(contributor)
    for a, b in sorted(repeats):
        if (roots := uf.roots(a, b)) is not None:
            uf.union(*roots, repeated=True)
    for a, b in sorted(rejected):
        uf.forbid(a, b)
    over = 0
    for a, b in sorted(accepted):
        if (roots := uf.roots(a, b)) is not None:
            over += uf.conflict(*roots) == "rejected"
            uf.union(*roots, decided=True)
    merged = refused_contributor = refused_rejected = 0
    for link in sorted(links, key=lambda x: (-x.score, x.case_a, x.case_b)):
        if (roots := uf.roots(link.case_a, link.case_b)) is None:
            continue
        ra, rb = roots
        why = uf.conflict(ra, rb)
        if why is None:
            uf.union(ra, rb, linked=True)
            merged += 1
        elif why == "contributor":
            refused_contributor += 1
        else:
            refused_rejected += 1
    rep_of_root = {root: min(g.members) for root, g in uf.groups.items()}
    return Clustering(
        representative={c: rep_of_root[uf.find(c)] if c in uf.parent else c for c in contributor},
        by_decision=frozenset(rep_of_root[r] for r, g in uf.groups.items() if g.decided),
        by_repeat=frozenset(
            rep_of_root[r] for r, g in uf.groups.items() if g.repeated and not (g.decided or g.linked)
        ),
        merged=merged,
        refused_contributor=refused_contributor,
        refused_rejected=refused_rejected,
        forced_over_rejection=over,
    )
