"""What each briefing sentence claims, in figures, and the checker that holds every claim against the table
it describes.

A sentence template is filled from a few figures of the briefing; it records them as claims:

* ``Leading`` – "A was the most frequent" (one category named: it must be *clearly* the largest, its
  90 % interval above every other category's) or "the most frequent were A and B" (several named: the
  largest categories, down to the smallest whose interval reaches the largest one's, and no other
  reaching it; for exact figures, the ties);
* ``Share`` – "p of the N cases with …": numerator and denominator are the table's, the denominator is
  the base the sentence names (known cases, cases with information, all cases), it is printed, and it is
  not below the display threshold;
* ``Minors`` – minors are the table's minors: the "Minor" cell of a majority status, or the sum of the
  age bands whose upper age is below 18 (the standard's ``max_age``);
* ``YearSpan`` – the years stated are the first and last years the trend shows (an estimate at or above
  the display threshold);
* ``Count`` – a printed count is the table's cell.

``problems(claim, figs)`` says what is wrong with one claim (nothing when it holds) and ``verify`` raises
``ContradictionError`` for a sentence whose claims do not hold or whose text does not print the claimed
figures: a briefing is refused rather than printed with a false sentence. The checks read the tables
directly (never through the narrative's helpers) so that they are an independent second reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ctdhub.publish.briefing.figures import FAMILIES, Breakdown, BriefingFigures, PeriodFigures
from ctdhub.publish.briefing.i18n import Language
from ctdhub.publish.briefing.selection import BriefingError
from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN

Base = Literal["known", "info", "all"]
Period = Literal["main", "comparison"]


class ContradictionError(BriefingError):
    """A sentence would state something its own table contradicts (a bug: the briefing is refused)."""


@dataclass(frozen=True)
class Leading:
    """The named categories (with the counts printed beside them) lead ``table``."""

    table: str
    named: tuple[tuple[str, int], ...]
    exclude: tuple[str, ...] = (UNKNOWN, ANY_INFO)
    period: Period = "main"


@dataclass(frozen=True)
class Share:
    """``numerator`` (cases of ``categories`` of ``table``) of the ``denominator`` cases of ``base``."""

    table: str
    categories: tuple[str, ...]
    numerator: int
    denominator: int
    base: Base
    period: Period = "main"


@dataclass(frozen=True)
class Minors:
    """``minors`` of the ``known`` cases of ``table`` (majorityStatus or ageBroad) were minors."""

    table: str
    minors: int
    known: int
    period: Period = "main"


@dataclass(frozen=True)
class YearSpan:
    """The years stated: the first and last shown by the trend of ``periods``."""

    first: int
    last: int
    periods: Literal["main", "comparison", "all"] = "all"


@dataclass(frozen=True)
class Count:
    """A printed count is the cell ``key`` of ``table``."""

    table: str
    key: tuple[str, ...]
    value: int
    period: Period = "main"


Claim = Leading | Share | Minors | YearSpan | Count


@dataclass(frozen=True)
class Sentence:
    """A sentence and the claims it makes."""

    text: str
    claims: tuple[Claim, ...] = ()


@cache
def minor_bands() -> frozenset[str]:
    """Age bands whose upper age is below 18, from the standard."""
    return frozenset(load_standard().minor_age_bands())


def shown(value: int | None, threshold: int) -> bool:
    """A figure a table or chart shows as a number (not "<threshold", not suppressed)."""
    return value is not None and value >= threshold


def _period(figs: BriefingFigures, period: Period) -> PeriodFigures | None:
    return figs.main if period == "main" else figs.comparison


def _bounds(b: Breakdown, key: str, exact: bool) -> tuple[int, int]:
    v = b.cells.get((key,), 0) or 0
    iv = None if exact else b.intervals.get((key,))
    return iv if iv is not None else (v, v)


def _leading(c: Leading, figs: BriefingFigures) -> list[str]:
    p = _period(figs, c.period)
    if p is None or c.table not in p.tables or not c.named:
        return [f"{c.table}: no such table or nothing named"]
    b = p[c.table]
    out = [
        f"{c.table}[{k}] is {b.cells.get((k,), 0)}, not {n}" for k, n in c.named if b.cells.get((k,), 0) != n
    ]
    out += [
        f"{c.table}[{k}] = {n} is below the threshold" for k, n in c.named if not shown(n, figs.threshold)
    ]
    others = {k[0]: v for k, v in b.cells.items() if k[0] not in c.exclude and k[0] not in dict(c.named)}
    low = min(n for _, n in c.named)
    if any(v is None for v in others.values()):
        rest = (
            None
            if c.table in FAMILIES or p.total is None
            else p.total - sum(v or 0 for v in b.cells.values())
        )
        if rest is None or rest >= low:
            out.append(f"{c.table}: a suppressed category could be as large as one named")
        others = {k: v for k, v in others.items() if v is not None}
    out += [
        f"{c.table}[{k}] = {v} is larger than a category named" for k, v in others.items() if (v or 0) > low
    ]
    top, _ = c.named[0]
    top_low = _bounds(b, top, figs.exact)[0]
    if len(c.named) == 1:  # one winner: clearly above every other category
        out += [
            f"{c.table}[{k}] is not clearly below {top}"
            for k in others
            if _bounds(b, k, figs.exact)[1] >= top_low and k != top
        ]
    else:  # several: exactly those that cannot be told apart from the largest
        lead = max(c.named, key=lambda kn: kn[1])[0]
        lead_low = _bounds(b, lead, figs.exact)[0]
        low = min(n for _, n in c.named)
        smallest = [k for k, n in c.named if n == low and k != lead]
        if not any(_bounds(b, k, figs.exact)[1] >= lead_low for k in smallest):
            out.append(f"{c.table}{smallest} can be told apart from {lead}: fewer should be named")
        out += [
            f"{c.table}[{k}] cannot be told apart from {lead}"
            for k in others
            if _bounds(b, k, figs.exact)[1] >= lead_low
        ]
    return out


def base_of(p: PeriodFigures, table: str, base: Base) -> int | None:
    """The cases a share is of: known (total − Unknown), with any information (a family), or all."""
    if base == "all":
        return p.total
    if base == "info":
        return p[table].cells.get((ANY_INFO,), 0) if table in FAMILIES else None
    unknown = p[table].cells.get((UNKNOWN,), 0)
    return None if p.total is None or unknown is None else p.total - unknown


def _share(c: Share, figs: BriefingFigures) -> list[str]:
    p = _period(figs, c.period)
    if p is None or c.table not in p.tables:
        return [f"{c.table}: no such table"]
    out = []
    if (c.base == "info") != (c.table in FAMILIES):
        out.append(f"{c.table}: a share of '{c.base}' is not this table's base")
    den = base_of(p, c.table, c.base)
    if den != c.denominator:
        out.append(f"{c.table}: the {c.base} base is {den}, not {c.denominator}")
    if not shown(c.denominator, figs.threshold):
        out.append(f"{c.table}: base {c.denominator} is below the threshold")
    cells = [p[c.table].cells.get((k,), 0) for k in c.categories]
    if None in cells or sum(v or 0 for v in cells) != c.numerator:
        out.append(f"{c.table}{list(c.categories)} is {cells}, not {c.numerator}")
    if not 0 <= c.numerator <= c.denominator:
        out.append(f"{c.table}: {c.numerator} of {c.denominator} is not a share")
    return out


def _minors(c: Minors, figs: BriefingFigures) -> list[str]:
    p = _period(figs, c.period)
    if p is None or c.table not in ("majorityStatus", "ageBroad"):
        return [f"{c.table}: minors come from majorityStatus or ageBroad"]
    minor = ("Minor",) if c.table == "majorityStatus" else tuple(sorted(minor_bands()))
    return _share(Share(c.table, minor, c.minors, c.known, "known", c.period), figs)


def trend_years(figs: BriefingFigures, periods: Literal["main", "comparison", "all"] = "all") -> list[int]:
    """The years a trend shows: those with a figure at or above the threshold."""
    ps = figs.periods() if periods == "all" else [p for p in (_period(figs, periods),) if p is not None]
    return sorted(
        {
            int(k[0])
            for p in ps
            for k, v in p["yearOfRegistration"].cells.items()
            if k[0].isdigit() and shown(v, figs.threshold)
        }
    )


def _years(c: YearSpan, figs: BriefingFigures) -> list[str]:
    years = trend_years(figs, c.periods)
    if not years or (years[0], years[-1]) != (c.first, c.last):
        return [f"years {c.first}–{c.last} stated; the trend shows {years[:1] + years[-1:]}"]
    return []


def _count(c: Count, figs: BriefingFigures) -> list[str]:
    p = _period(figs, c.period)
    if p is None or c.table not in p.tables:
        return [f"{c.table}: no such table"]
    v = p[c.table].cells.get(c.key, 0)
    return [] if v == c.value else [f"{c.table}{list(c.key)} is {v}, not {c.value}"]


def problems(claim: Claim, figs: BriefingFigures) -> list[str]:
    """What is wrong with one claim against the briefing's tables (empty when it holds)."""
    if isinstance(claim, Leading):
        return _leading(claim, figs)
    if isinstance(claim, Share):
        return _share(claim, figs)
    if isinstance(claim, Minors):
        return _minors(claim, figs)
    if isinstance(claim, YearSpan):
        return _years(claim, figs)
    return _count(claim, figs)


def printed(claim: Claim, L: Language) -> list[str]:
    """Texts the sentence must contain for its claim: the labels named, the bases and years stated."""
    if isinstance(claim, Leading):
        return [L.label(k) for k, _ in claim.named]
    if isinstance(claim, Share):
        return [L.num(claim.denominator)]
    if isinstance(claim, Minors):
        return [L.num(claim.minors), L.num(claim.known)]
    if isinstance(claim, YearSpan):
        return [str(claim.first), str(claim.last)]
    return [L.num(claim.value)]


def verify(sentences: Iterable[Sentence], figs: BriefingFigures, L: Language) -> None:
    """Raise ContradictionError for the first sentence a table contradicts or that omits its figures."""
    for s in sentences:
        wrong = [w for c in s.claims for w in problems(c, figs)]
        text = s.text.casefold()
        wrong += [
            f"{x!r} is not printed" for c in s.claims for x in printed(c, L) if x.casefold() not in text
        ]
        if wrong:
            raise ContradictionError(
                f"Briefing sentence {s.text!r} contradicts its tables: {'; '.join(wrong)}."
            )
