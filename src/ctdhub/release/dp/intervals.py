"""Uncertainty intervals for any published count, from what a release publishes about its measurements.

A release writes ``model.json``: the model's attributes and domain sizes, how public values map to model
codes (including which rare values were merged), and the GLS variance of every measured component. From
that alone — no confidential data — ``IntervalModel.interval`` gives a 90 % interval for any count over
a product of value sets (a year range × countries × one gender, a flag of a family...): the estimate ± z·sd
with sd the GLS standard deviation of that count, widened by the model's own fitting error (the ratio of
the model's deviation from the GLS estimates to their variance, by table dimension: a DP quantity). Dashboard, API, tables, briefings and diffs all call it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdhub.release.dp.gls import ComponentVariances
from ctdhub.release.dp.space import ModelSpace, any_attr
from ctdhub.standard.dimensions import ANY_INFO, GEO_DIMS, UNKNOWN

LEVEL = 0.90
Z = 1.6448536269514722  # two-sided 90 %


@dataclass(frozen=True)
class Interval:
    """An estimate's interval; ``measured`` False when part of it rests on the model, not a measurement;
    ``approximate`` True when it splits a group of rare values that were measured together."""

    lower: int
    upper: int
    sd: float
    measured: bool = True
    approximate: bool = False


@dataclass(frozen=True)
class IntervalModel:
    """Public description of a release's measurements, enough to compute intervals."""

    variances: ComponentVariances
    codes: dict[str, dict[str, int]]  # public dimension -> value label -> model code
    groups: dict[str, dict[int, tuple[str, ...]]]  # dimension -> merged model code -> its value labels
    families: dict[str, tuple[str, ...]]  # family -> member flags
    inflation: dict[int, float] = field(default_factory=dict)  # variance multiplier by number of dimensions
    level: float = LEVEL
    z: float = Z

    def interval(self, estimate: float, selection: Mapping[str, Collection[str]]) -> Interval:
        """The interval of a count of ``estimate`` over ``selection`` (dimension -> kept value labels)."""
        ks: dict[str, int] = {}
        approximate = False
        for dim, labels in _finest_places(selection).items():
            labels = list(labels)
            if dim in self.families:
                if len(labels) != 1:
                    raise ValueError(f"a count selects one category of {dim}, got {labels}")
                # "(any information)" and "Unknown" (no information) are the two values of one attribute
                attr = any_attr(dim) if labels[0] in (ANY_INFO, UNKNOWN) else labels[0]
                ks[attr] = 1
                continue
            table = self.codes.get(dim)
            if table is None:
                raise ValueError(f"unknown dimension {dim!r}")
            codes = {table[v] for v in labels if v in table}
            ks[dim] = len(codes)
            for code in codes:
                members = self.groups.get(dim, {}).get(code)
                if members and not set(members) <= set(labels):
                    approximate = True
        var, measured = self.variances.variance(ks)
        dims = sum(1 for a, k in ks.items() if 0 < k < self.variances.sizes[a])
        if self.inflation:
            var *= self.inflation.get(dims, max(self.inflation.values()) if dims else 1.0)
        sd = math.sqrt(max(var, 0.0))
        low = 0 if approximate else max(0, math.floor(estimate - self.z * sd))
        high = max(math.ceil(estimate + self.z * sd), 0)
        return Interval(int(low), int(high), sd, measured, approximate)

    def combination(self, estimate: float, dim: str, weights: Mapping[str, float]) -> Interval:
        """The interval of ``estimate`` = Σ_v weights[v] · (count of value v of ``dim``). Under the GLS
        components (see ``ComponentVariances.variance``) the variance of Σ_c w_c x_c over the n model codes
        c of ``dim`` is V_∅ (Σw / n)² + V_dim (Σw² − (Σw)² / n); with w the indicator of k codes this is the
        variance of a count of k values."""
        table = self.codes.get(dim)
        if table is None:
            raise ValueError(f"unknown dimension {dim!r}")
        by_code: dict[int, float] = {}
        for label, w in weights.items():
            by_code[table[label]] = by_code.get(table[label], 0.0) + w
        n = self.variances.sizes[dim]
        total, squares = sum(by_code.values()), sum(w * w for w in by_code.values())
        parts = (
            (self.variances.components.get(()), (total / n) ** 2),
            (self.variances.components.get((dim,)), squares - total * total / n),
        )
        var = sum(v * c for v, c in parts if v is not None)
        measured = all(v is not None for v, _ in parts)
        if self.inflation:
            var *= self.inflation.get(1, max(self.inflation.values()))
        sd = math.sqrt(max(var, 0.0))
        low = max(0, math.floor(estimate - self.z * sd))
        return Interval(int(low), max(math.ceil(estimate + self.z * sd), 0), sd, measured)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "z": self.z,
            "sizes": self.variances.sizes,
            "variances": [
                {"attrs": list(k), "variance": v} for k, v in sorted(self.variances.components.items())
            ],
            "codes": self.codes,
            "groups": {d: {str(c): list(m) for c, m in g.items()} for d, g in self.groups.items()},
            "families": {f: list(m) for f, m in self.families.items()},
            "inflation": {str(k): v for k, v in self.inflation.items()},
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> IntervalModel:
        comps = {tuple(v["attrs"]): float(v["variance"]) for v in doc["variances"]}
        return cls(
            variances=ComponentVariances({k: int(v) for k, v in doc["sizes"].items()}, comps),
            codes={d: {str(k): int(v) for k, v in t.items()} for d, t in doc["codes"].items()},
            groups={d: {int(c): tuple(m) for c, m in g.items()} for d, g in doc["groups"].items()},
            families={f: tuple(m) for f, m in doc["families"].items()},
            inflation={int(k): float(v) for k, v in doc.get("inflation", {}).items()},
            level=float(doc.get("level", LEVEL)),
            z=float(doc.get("z", Z)),
        )

    @classmethod
    def load(cls, path: Path) -> IntervalModel:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def _geo_rank(dim: str) -> tuple[str, int] | None:
    """(country field, 0 country / 1 sub-region / 2 region) of a geographic dimension, or None."""
    if dim in GEO_DIMS:
        country, level = GEO_DIMS[dim]
        return country, 1 if level == "un_subregion" else 2
    return (dim, 0) if dim in {c for c, _ in GEO_DIMS.values()} else None


def _finest_places(selection: Mapping[str, Collection[str]]) -> dict[str, Collection[str]]:
    """The selection without a region (or sub-region) when it also selects finer places on the same side:
    a country's region is a function of the country, so the pair adds nothing to the count, and read
    together they would look like a combination no table measures (a country table under a region filter)."""
    ranks = {d: r for d in selection if (r := _geo_rank(d)) is not None}
    return {
        d: v
        for d, v in selection.items()
        if d not in ranks or not any(f == ranks[d][0] and k < ranks[d][1] for f, k in ranks.values())
    }


def interval_model(
    space: ModelSpace,
    variances: ComponentVariances,
    families: Mapping[str, Collection[str]],
    inflation: Mapping[int, float] | None = None,
) -> IntervalModel:
    """The public interval description of a fitted model space."""
    codes: dict[str, dict[str, int]] = {}
    groups: dict[str, dict[int, tuple[str, ...]]] = {}
    for attr, dom in space.domains.items():
        labels = [*dom.values, UNKNOWN]
        comp = space.compressions.get(attr)
        codes[attr] = {lab: int(comp.to_model[i]) if comp else i for i, lab in enumerate(labels)}
        if comp:
            groups[attr] = {
                mc: tuple(labels[i] for i in members)
                for mc, members in enumerate(comp.members)
                if len(members) > 1
            }
    for name, d in space.derived.items():
        if d.table is not None:
            codes[name] = {**{lab: i for i, lab in enumerate(d.values)}, UNKNOWN: d.size - 1}
    return IntervalModel(
        variances, codes, groups, {f: tuple(m) for f, m in families.items()}, dict(inflation or {})
    )
