"""The attribute space of the DP model: what is measured and modelled, with domains from the standard.

Base attributes are the standard's fields plus ``contributor`` and, in a release whose records are linked to
persons, ``personRecords``; each domain comes from the standard (codes, the ISO3 country list, years from
the standard's minimum to the release year), for ``contributor`` from the release's list of contributing
organisations, which is public, and for ``personRecords`` from the policy's bound k — never from the data.
The last code of every attribute means *unknown* (missing).

Large domains (years and the two country fields) are *compressed* before anything else is measured: a
noisy count of every value is taken once, values whose noisy count is below a threshold are merged into
one "other" value per group (countries per UN sub-region, so regions stay exact; years into one group),
and the rest of the measurements use the compressed codes. Compression only reads noisy counts, so it is
post-processing. Derived attributes (regions and sub-regions of the country fields, "any information"
per flag family) are functions of base attributes; the model keeps them consistent by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ctdhub.geo import resolver
from ctdhub.release.encode import Domain, field_domain
from ctdhub.sql import qi, ql
from ctdhub.standard import Standard
from ctdhub.standard.dimensions import GEO_DIMS, YEAR

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
CodeArray = NDArray[np.signedinteger[Any]]  # codes of one attribute, in the narrowest dtype (``code_dtype``)
Codes = dict[str, CodeArray]

CONTRIBUTOR = "contributor"
# For each measured record, how many measured records its person has: "1" .. "k" (k: the policy's
# max_records_per_person). The model's records then stand for Σ_j (records with j) / j persons
# (``DPModel.persons``). The attribute stays inside the model: it is measured and fitted like any other
# (one person still moves each histogram by at most k), but no public table, filter or synthetic file
# carries it (``decode_table`` leaves it out), and only the persons estimate is published. Publishing it
# would spend nothing (post-processing), but a synthetic record reading "this person has 3 records" invites
# taking synthetic rows for real persons, and a persons count under a filter would be a sum of fractions
# of persons (a person whose records fall on both sides of a filter counts partly on each) resting on the
# one-way measurement alone, not a count of persons.
PERSON_RECORDS = "personRecords"
INTERNAL = frozenset({PERSON_RECORDS})  # attributes of the model that no public output carries
COUNTRY_FIELDS = ("citizenship", "CountryOfExploitation")
COMPRESSED = (YEAR, *COUNTRY_FIELDS)
# region dimension -> (country field, region level)
GEO_DERIVED = GEO_DIMS
ANY_PREFIX = "anyinfo:"
COUNT_PREFIX = "flagcount:"
COUNT_CAP = 3  # "3 or more" flags set


def any_attr(family: str) -> str:
    """The derived attribute "the case has information in this flag family" (0 = no, 1 = yes)."""
    return ANY_PREFIX + family


def count_attr(family: str) -> str:
    """The derived attribute "how many of the family's substantive flags are 1" (0, 1, 2, 3 or more)."""
    return COUNT_PREFIX + family


@dataclass(frozen=True)
class Compression:
    """A domain after merging rare values: original code -> model code, and back."""

    attr: str
    to_model: CodeArray  # original code -> model code
    members: tuple[tuple[int, ...], ...]  # model code -> original codes
    weights: FloatArray  # per original code: share of its model code when spreading back (sums to 1)

    @property
    def size(self) -> int:
        return len(self.members)

    def merged(self, model_code: int) -> bool:
        return len(self.members[model_code]) > 1


@dataclass(frozen=True)
class Derived:
    """A derived attribute: a lookup of one base attribute's model code, or how many of these flags are 1
    (capped at ``cap``; ``cap`` = 1 is "any of them is 1")."""

    name: str
    size: int
    values: tuple[str, ...]  # labels of codes 0..size-2 (the last code is unknown)
    base: tuple[str, ...]
    table: CodeArray | None = None  # lookup: base model code -> derived code (``code_dtype(size)``)
    flag_one: int = 1  # the model code of value "1" in each base flag
    cap: int = 1

    def compute(self, codes: Codes) -> CodeArray:
        if self.table is not None:
            out: CodeArray = self.table[codes[self.base[0]]]
            return out
        hits = np.zeros(len(codes[self.base[0]]), dtype=code_dtype(len(self.base) + 1))
        for b in self.base:
            hits += codes[b] == self.flag_one
        return narrow(np.minimum(hits, self.cap), self.size)


@dataclass
class ModelSpace:
    """Base attributes (original and model domains), compressions and derived attributes."""

    domains: dict[str, Domain]  # original domains of the base attributes
    # attributes the store never leaves unknown (a schema fact, not a fact about the data): the model
    # gives their "unknown" code no records
    required: frozenset[str] = frozenset({CONTRIBUTOR, PERSON_RECORDS})
    compressions: dict[str, Compression] = field(default_factory=dict)
    derived: dict[str, Derived] = field(default_factory=dict)

    @property
    def base(self) -> list[str]:
        return list(self.domains)

    def size(self, attr: str) -> int:
        if attr in self.derived:
            return self.derived[attr].size
        comp = self.compressions.get(attr)
        return comp.size if comp else self.domains[attr].size

    @property
    def sizes(self) -> dict[str, int]:
        return {a: self.size(a) for a in [*self.domains, *self.derived]}

    def to_model(self, codes: Codes) -> Codes:
        """Original codes -> model codes (compressed domains), base attributes only."""
        return {
            a: (self.compressions[a].to_model[c] if a in self.compressions else c) for a, c in codes.items()
        }

    def with_derived(self, codes: Codes) -> Codes:
        """Model codes of the base attributes plus every derived attribute."""
        out = dict(codes)
        for name, d in self.derived.items():
            out[name] = d.compute(codes)
        return out

    def decompress(self, codes: Codes, rng: np.random.Generator) -> Codes:
        """Model codes -> original codes: a merged value is spread over its members by their weights."""
        out = dict(codes)
        for a, comp in self.compressions.items():
            col = codes[a]
            orig = np.empty(len(col), dtype=code_dtype(self.domains[a].size))
            for mc, members in enumerate(comp.members):
                sel = np.flatnonzero(col == mc)
                if len(members) == 1:
                    orig[sel] = members[0]
                elif len(sel):
                    w = comp.weights[list(members)]
                    orig[sel] = rng.choice(np.asarray(members), size=len(sel), p=w / w.sum())
            out[a] = orig
        return out


def base_domains(
    std: Standard, contributors: list[str], year: int | None = None, person_records: int = 0
) -> dict[str, Domain]:
    """Original domains of every base attribute (standard fields, then contributor; with ``person_records``
    k > 1, then ``personRecords`` with categories "1" .. "k")."""
    last = year or dt.date.today().year
    out = {f.name: field_domain(f, last) for f in std.fields}
    out[CONTRIBUTOR] = Domain(CONTRIBUTOR, tuple(sorted(set(contributors))))
    if person_records > 1:
        out[PERSON_RECORDS] = Domain(PERSON_RECORDS, tuple(str(j) for j in range(1, person_records + 1)))
    return out


# the narrowest signed integer types, numpy's and DuckDB's: codes of millions of records stay small
_CODE_TYPES = ((np.int8, "TINYINT"), (np.int16, "SMALLINT"), (np.int32, "INTEGER"))


def _code_type(size: int) -> tuple[type[np.signedinteger[Any]], str]:
    for dtype, sql in _CODE_TYPES:
        if size <= np.iinfo(dtype).max + 1:
            return dtype, sql
    raise ValueError(f"a domain of {size:,} codes is too large")


def code_dtype(size: int) -> type[np.signedinteger[Any]]:
    """The narrowest signed integer dtype holding the codes 0 .. size - 1 (int8 for most attributes)."""
    return _code_type(size)[0]


def narrow(col: NDArray[np.integer[Any]], size: int) -> CodeArray:
    """``col`` (codes of a domain of ``size``) in ``code_dtype(size)``, without a copy when it already is."""
    out: CodeArray = np.asarray(col, dtype=code_dtype(size))
    return out


def encode_table(con: duckdb.DuckDBPyConnection, table: str, domains: dict[str, Domain]) -> Codes:
    """Original integer codes of every base attribute (last code = unknown; ``code_dtype``), in one SQL
    scan."""
    exprs = []
    for name, d in domains.items():
        values = "[" + ", ".join(ql(v) for v in d.values) + "]::VARCHAR[]"
        exprs.append(
            f"CAST(coalesce(list_position({values}, CAST({qi(name)} AS VARCHAR)), {len(d.values) + 1}) - 1 "
            f"AS {_code_type(d.size)[1]}) AS {qi(name)}"
        )
    cols = con.execute(f"SELECT {', '.join(exprs)} FROM {qi(table)}").fetchnumpy()
    return {name: narrow(cols.pop(name), d.size) for name, d in domains.items()}


def decode_values(codes: Codes, domains: dict[str, Domain]) -> dict[str, NDArray[np.object_]]:
    """Original codes -> values (None for unknown), per attribute."""
    return {a: np.array([*domains[a].values, None], dtype=object)[c] for a, c in codes.items()}


def compress(
    attr: str, domain: Domain, noisy: FloatArray, threshold: float, groups: IntArray | None
) -> Compression:
    """Keep values whose noisy count reaches ``threshold`` (and unknown); merge the rest per group."""
    size = domain.size
    keep = noisy >= threshold
    keep[size - 1] = True  # unknown is always its own value
    grp = np.zeros(size, dtype=np.int64) if groups is None else groups
    to_model = np.full(size, -1, dtype=np.int64)
    members: list[list[int]] = []
    for code in np.flatnonzero(keep):
        to_model[code] = len(members)
        members.append([int(code)])
    others: dict[int, int] = {}
    for code in np.flatnonzero(~keep):
        g = int(grp[code])
        if g not in others:
            others[g] = len(members)
            members.append([])
        to_model[code] = others[g]
        members[others[g]].append(int(code))
    weights = np.maximum(noisy, 0.0) + 1e-6
    return Compression(attr, narrow(to_model, len(members)), tuple(tuple(m) for m in members), weights)


def country_groups(domain: Domain) -> IntArray:
    """Group key per original country code: its UN sub-region (unknown countries in one group)."""
    rows = {r["iso3"]: r for r in resolver().region_rows()}
    subs = sorted({r["un_subregion"] for r in rows.values() if r["un_subregion"]})
    out = np.full(domain.size, len(subs), dtype=np.int64)
    for i, iso3 in enumerate(domain.values):
        sub = (rows.get(iso3) or {}).get("un_subregion")
        if sub:
            out[i] = subs.index(sub)
    return out


def add_derived(space: ModelSpace, std: Standard) -> None:
    """Regions and sub-regions of the country fields, and "any information" of each flag family."""
    rows = {r["iso3"]: r for r in resolver().region_rows()}
    for name, (country, level) in GEO_DERIVED.items():
        labels = tuple(sorted({r[level] for r in rows.values() if r[level]}))
        dom = space.domains[country]
        comp = space.compressions.get(country)
        n_model = comp.size if comp else dom.size
        table = np.full(n_model, len(labels), dtype=code_dtype(len(labels) + 1))
        for orig, iso3 in enumerate(dom.values):
            lab = (rows.get(iso3) or {}).get(level)
            mc = comp.to_model[orig] if comp else orig
            if lab:
                table[mc] = labels.index(lab)  # merged groups share a sub-region, hence a region
        space.derived[name] = Derived(name, len(labels) + 1, labels, (country,), table=table)
    for fam in std.families:
        subst = tuple(m for m in fam.members if m != fam.not_specified)
        space.derived[any_attr(fam.name)] = Derived(any_attr(fam.name), 2, ("no", "yes"), subst)
        labels = (*(str(i) for i in range(COUNT_CAP)), f"{COUNT_CAP}+")
        space.derived[count_attr(fam.name)] = Derived(
            count_attr(fam.name), COUNT_CAP + 1, labels, subst, cap=COUNT_CAP
        )


def decode_table(codes: Codes, domains: dict[str, Domain], std: Standard) -> pa.Table:
    """An Arrow table of standard values (typed like the store: flags TINYINT, years SMALLINT) from codes;
    the model's internal attributes (``INTERNAL``) are left out."""
    arrays = {}
    for name, d in domains.items():
        if name in INTERNAL:
            continue
        values = np.array([*d.values, None], dtype=object)[codes[name]]
        f = std.field(name) if std.has_field(name) else None
        arr = pa.array(values, pa.string())
        if f is not None and f.type == "flag":
            arr = arr.cast(pa.int8())
        elif f is not None and f.type == "integer":
            arr = arr.cast(pa.int16())
        arrays[name] = arr
    return pa.table(arrays)
