"""What a briefing is about: years, countries or regions on either side, a named grouping, data sources.

``make_selection`` turns option values into a validated ``Selection`` (countries resolved to ISO3, UN
regions and sub-regions matched case-insensitively, a grouping looked up), raising one actionable
sentence naming the option and value otherwise. ``Selection.sql`` is the row filter. Within one side
(exploitation or citizenship) countries, sub-regions, regions and a grouping add up (union); the sides,
years, data sources and contributors narrow the selection (intersection).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ctdhub.errors import CtdhubError, UsageError
from ctdhub.geo import resolver
from ctdhub.publish.briefing.groupings import Grouping, groupings
from ctdhub.sql import in_list, qi
from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import YEAR

Side = Literal["exploitation", "citizenship"]
SIDES: tuple[Side, ...] = ("exploitation", "citizenship")
SIDE_FIELD: dict[Side, str] = {"exploitation": "CountryOfExploitation", "citizenship": "citizenship"}


class BriefingError(CtdhubError):
    """A briefing cannot be produced (e.g. the selection holds no case)."""


class SelectionError(UsageError):
    """An option value of a briefing selection is not valid (exit code 2)."""


@dataclass(frozen=True)
class Years:
    """An inclusive range of registration years."""

    first: int
    last: int

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    @property
    def span(self) -> int:
        return self.last - self.first + 1

    def overlaps(self, other: Years) -> bool:
        return self.first <= other.last and other.first <= self.last

    def previous(self) -> Years:
        """The period of the same length just before this one."""
        return Years(self.first - self.span, self.first - 1)

    def list(self) -> list[int]:
        return list(range(self.first, self.last + 1))


@dataclass(frozen=True)
class GeoFilter:
    """One side's geographic filter: the union of countries, sub-regions, regions and a grouping."""

    countries: tuple[str, ...] = ()
    subregions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    grouping: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.countries or self.subregions or self.regions or self.grouping)

    def static_codes(self) -> set[str]:
        """Countries selected without the (year-dependent) grouping."""
        rows = resolver().region_rows()
        codes = set(self.countries)
        codes |= {r["iso3"] for r in rows if r["un_subregion"] in self.subregions}
        codes |= {r["iso3"] for r in rows if r["un_region"] in self.regions}
        return codes

    def sql(self, column: str, year: str) -> str:
        parts = []
        codes = self.static_codes()
        if codes:
            parts.append(in_list(column, sorted(codes)))
        if self.grouping:
            parts.append(groupings()[self.grouping].sql(column, year))
        return "(" + " OR ".join(parts) + ")" if parts else "true"

    def echo(self) -> dict[str, Any]:
        return {
            "countries": list(self.countries),
            "subregions": list(self.subregions),
            "regions": list(self.regions),
            "grouping": self.grouping,
        }


@dataclass(frozen=True)
class Selection:
    """A validated briefing selection (see the module docstring for how filters combine)."""

    years: Years | None = None
    exploitation: GeoFilter = field(default_factory=GeoFilter)
    citizenship: GeoFilter = field(default_factory=GeoFilter)
    datasources: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()

    def side(self, side: Side) -> GeoFilter:
        return self.exploitation if side == "exploitation" else self.citizenship

    def with_years(self, years: Years | None) -> Selection:
        return replace(self, years=years)

    @property
    def grouping(self) -> Grouping | None:
        name = self.exploitation.grouping or self.citizenship.grouping
        return groupings()[name] if name else None

    def sql(self, alias: str = "s") -> str:
        """SQL boolean over a snapshot row (alias ``alias``): the row is in the selection."""
        a = f"{alias}." if alias else ""
        year = f"{a}{qi(YEAR)}"
        conds = []
        if self.years:
            conds.append(f"({year} BETWEEN {self.years.first} AND {self.years.last})")
        for side in SIDES:
            flt = self.side(side)
            if not flt.empty:
                conds.append(flt.sql(f"{a}{qi(SIDE_FIELD[side])}", year))
        if self.datasources:
            conds.append(in_list(f"{a}{qi('Datasource')}", self.datasources))
        if self.contributors:
            conds.append(in_list(f"{a}{qi('contributor')}", self.contributors))
        return " AND ".join(conds) or "true"

    def echo(self) -> dict[str, Any]:
        return {
            "years": str(self.years) if self.years else None,
            "exploitation": self.exploitation.echo(),
            "citizenship": self.citizenship.echo(),
            "datasources": list(self.datasources),
            "contributors": list(self.contributors),
        }


def parse_years(text: str, option: str = "--years") -> Years:
    """'2015' or '2002-2018' (an en dash or '..' also works)."""
    m = re.fullmatch(r"\s*(\d{4})\s*(?:(?:-|–|\.\.)\s*(\d{4}))?\s*", text)
    if not m:
        raise SelectionError(
            f"{option} {text!r} is not a year or a range of years; use e.g. 2015 or 2002-2018."
        )
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if last < first:
        raise SelectionError(f"{option} {text!r} ends before it starts; use e.g. {last}-{first}.")
    return Years(first, last)


def _countries(values: Iterable[str], option: str) -> tuple[str, ...]:
    out: list[str] = []
    res = resolver()
    for v in values:
        r = res.resolve(v)
        if not r.ok or r.iso3 is None:
            raise SelectionError(
                f"{option} {v!r} is not a known country ({r.reason}); use an ISO3 code or a country name "
                "('ctdhub countries resolve NAME' shows how a name is understood)."
            )
        if r.iso3 not in out:
            out.append(r.iso3)
    return tuple(out)


def _names(values: Iterable[str], known: Sequence[str], option: str, what: str) -> tuple[str, ...]:
    by_key = {k.casefold(): k for k in known}
    out: list[str] = []
    for v in values:
        hit = by_key.get(v.strip().casefold())
        if hit is None:
            raise SelectionError(f"{option} {v!r} is not a {what}; use one of: {', '.join(known)}.")
        if hit not in out:
            out.append(hit)
    return tuple(out)


def un_regions() -> list[str]:
    return sorted({r["un_region"] for r in resolver().region_rows() if r["un_region"]})


def un_subregions() -> list[str]:
    return sorted({r["un_subregion"] for r in resolver().region_rows() if r["un_subregion"]})


def make_selection(
    *,
    years: str | None = None,
    exploitation_countries: Sequence[str] = (),
    exploitation_subregions: Sequence[str] = (),
    exploitation_regions: Sequence[str] = (),
    citizenship_countries: Sequence[str] = (),
    citizenship_subregions: Sequence[str] = (),
    citizenship_regions: Sequence[str] = (),
    grouping: str | None = None,
    grouping_side: Side = "exploitation",
    datasources: Sequence[str] = (),
    contributors: Sequence[str] = (),
    known_contributors: Sequence[str] | None = None,
) -> Selection:
    """Validate option values into a Selection; every problem is one sentence naming option and value."""
    if grouping is not None and grouping not in groupings():
        raise SelectionError(
            f"--grouping {grouping!r} is not a known grouping; use one of: {', '.join(sorted(groupings()))}."
        )
    if grouping_side not in SIDES:
        raise SelectionError(f"--grouping-side {grouping_side!r} must be exploitation or citizenship.")
    regions, subregions = un_regions(), un_subregions()
    geo = {}
    for side, countries, subs, regs in (
        ("exploitation", exploitation_countries, exploitation_subregions, exploitation_regions),
        ("citizenship", citizenship_countries, citizenship_subregions, citizenship_regions),
    ):
        geo[side] = GeoFilter(
            countries=_countries(countries, f"--{side}-country"),
            subregions=_names(subs, subregions, f"--{side}-subregion", "UN sub-region"),
            regions=_names(regs, regions, f"--{side}-region", "UN region"),
            grouping=grouping if grouping and grouping_side == side else None,
        )
    codes = load_standard().field("Datasource").codes
    contribs = tuple(dict.fromkeys(contributors))
    if contribs and known_contributors is not None:
        contribs = _names(contribs, list(known_contributors), "--contributor", "contributor of this release")
    return Selection(
        years=parse_years(years) if years else None,
        exploitation=geo["exploitation"],
        citizenship=geo["citizenship"],
        datasources=_names(datasources, codes, "--datasource", "data source"),
        contributors=contribs,
    )
