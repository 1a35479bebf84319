"""Sentences generated from the briefing's figures, in the briefing's language.

Every number a sentence prints is a figure of the briefing (or a percentage of two of them): in a public
briefing a model estimate, in the staff's exact briefing a published (unsuppressed) figure; a sentence
whose figure is suppressed is left out or falls back to a wording without that number. Each template is
filled from the figures it states and records them as claims (``checks``): "the most frequent" names the
largest category of the table shown, and one category only when its 90 % interval is above every other
(else the few that cannot be told apart); every share names its base and prints it ("of the 643 victims
whose gender is known"), and none is made of a base below the display threshold; minors come from the
field that carries them (majority status at registration or the age band); years are those the trend
shows. ``sections`` checks every claim against its table before a sentence is printed. Messages come from
the catalogue in ``i18n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ctdhub.publish.briefing.checks import (
    Claim,
    Count,
    Leading,
    Minors,
    Sentence,
    Share,
    YearSpan,
    minor_bands,
    shown,
    verify,
)
from ctdhub.publish.briefing.figures import FAMILIES, Breakdown, BriefingFigures, PeriodFigures, change
from ctdhub.publish.briefing.i18n import Language
from ctdhub.publish.briefing.selection import Selection, Years
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN

MAX_TIED = 3  # more categories than this within the largest one's interval: no "most frequent" sentence
SECTIONS = ("headline", "where", "profile", "origin", "exploitation", "control", "recruiter", "trend")
# flag family -> (message for one clear leader, message for several that cannot be told apart)
FAMILY_MESSAGES: dict[str, tuple[str, str]] = {
    "typeOfExploit": ("n_top_type", "n_top_type_tie"),
    "typeOfLabour": ("n_top_labour", "n_top_labour_tie"),
    "meansOfControl": ("n_top_control", "n_top_control_tie"),
    "recruiterRelation": ("n_top_recruiter", "n_top_recruiter_tie"),
}

FRACTIONS: tuple[tuple[int, int], ...] = (
    (1, 2),
    (1, 3),
    (2, 3),
    (1, 4),
    (3, 4),
    (1, 5),
    (2, 5),
    (3, 5),
    (4, 5),
    (9, 10),
)


def fraction(p: float, L: Language) -> str:
    """'two in three' when p is within 1.5 points of a simple fraction, else the percentage."""
    best = min(FRACTIONS, key=lambda f: abs(p - f[0] / f[1]))
    if abs(p - best[0] / best[1]) <= 0.015:
        return L.t(f"f_{best[0]}_{best[1]}")
    return L.t("f_pct", pct=L.pct(p))


def period_phrase(years: Years | None, L: Language) -> str:
    if years is None:
        return L.t("n_in_all")
    if years.first == years.last:
        return L.t("n_in_year", year=years.first)
    return L.t("n_in_period", first=years.first, last=years.last)


def selection_text(sel: Selection, L: Language, release_years: Sequence[int] | None = None) -> str:
    """A short description of the selection, e.g. '2015, exploitation in Germany or France'."""
    parts = []
    if sel.years:
        parts.append(str(sel.years).replace("-", "–"))
    elif release_years:
        parts.append(L.t("all_years", years="–".join(str(y) for y in release_years)))
    for side in ("exploitation", "citizenship"):
        flt = sel.side(side)
        names = [L.label(c) for c in flt.countries] + [L.label(r) for r in (*flt.subregions, *flt.regions)]
        if flt.grouping and sel.grouping:
            names.append(sel.grouping.title(L.lang))
        if names:
            parts.append(L.t(f"sel_{side}", where=L.join(names, "or")))
    if sel.datasources:
        parts.append(L.t("sel_datasource", what=L.join([L.label(d) for d in sel.datasources], "or")))
    if sel.contributors:
        parts.append(L.t("sel_contributor", what=L.join(list(sel.contributors), "or")))
    return ", ".join(parts) if parts else L.t("all_cases")


def leaders(
    b: Breakdown,
    threshold: int,
    *,
    exact: bool = False,
    exclude: tuple[str, ...] = (UNKNOWN, ANY_INFO),
    hidden: int | None = None,
) -> list[tuple[str, int]]:
    """The categories that lead ``b``, largest first: the largest one, every other whose 90 % interval
    reaches its interval (for exact figures, its ties) and any larger than one of those. Empty when one of
    them is below the threshold or a suppressed cell could be as large (``hidden``: the most a suppressed
    cell can hold, if known)."""
    cells = {k[0]: v for k, v in b.cells.items() if k[0] not in exclude}
    counts = {k: v for k, v in cells.items() if v is not None}
    if not counts:
        return []
    top = min(counts, key=lambda k: (-counts[k], k))
    if not shown(counts[top], threshold):
        return []
    if len(counts) < len(cells) and (hidden is None or hidden >= counts[top]):
        return []  # a suppressed cell could be as large as the largest published one

    def bounds(k: str) -> tuple[int, int]:
        iv = None if exact else b.interval(k)
        return iv if iv is not None else (counts[k], counts[k])

    low = bounds(top)[0]
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    last = max(i for i, (k, _) in enumerate(ranked) if bounds(k)[1] >= low)
    lead = ranked[: last + 1]  # down to the smallest that cannot be told apart from the largest
    if not all(shown(n, threshold) for _, n in lead):  # the largest cannot be told from a small one
        return []
    return lead


@dataclass(frozen=True)
class MinorsFigure:
    """Minors and the cases whose age (or majority status) is known, from ``table``."""

    table: str  # "majorityStatus" or "ageBroad"
    minors: int
    known: int

    @property
    def share(self) -> float:
        return self.minors / self.known

    def claim(self) -> Minors:
        return Minors(self.table, self.minors, self.known)


def minors_figure(period: PeriodFigures, threshold: int) -> MinorsFigure | None:
    """Minors from the field that carries them: majority status at registration or the age band (bands
    below 18), whichever is known for more cases (the age band, shown in the profile table, on a tie);
    None when neither is known for at least ``threshold`` cases or a figure is suppressed."""
    options: list[MinorsFigure] = []
    for table, codes in (("ageBroad", sorted(minor_bands())), ("majorityStatus", ["Minor"])):
        cells = [period[table].value(c) for c in codes]
        known = period.known(table)
        if None not in cells and known is not None and shown(known, threshold):
            options.append(MinorsFigure(table, sum(c or 0 for c in cells), known))
    return max(options, key=lambda m: m.known) if options else None


def shown_span(period: PeriodFigures, threshold: int) -> Years | None:
    """The selected years a period's trend shows (first to last year with a figure at or above the
    threshold); None when no year is shown."""
    years = [
        int(k[0])
        for k, v in period["yearOfRegistration"].cells.items()
        if k[0].isdigit() and shown(v, threshold)
    ]
    return Years(min(years), max(years)) if years else None


def _span_text(years: Years) -> str:
    return str(years).replace("-", "–")


def headline(figs: BriefingFigures, L: Language) -> Sentence:
    """'In 2015, 417 victims were identified in 17 countries, 65% more than the 252 of 2014; two in three
    of the 410 victims whose gender is known were women or girls.'"""
    main = figs.main
    total = main.total
    if total is None:
        return Sentence(L.t("n_total_hidden"))
    claims: list[Claim] = [Count("total", (), total)]
    span = shown_span(main, figs.threshold) if main.selection.years else None
    if span is not None:
        claims.append(YearSpan(span.first, span.last, "main"))
    # the years the trend shows; none shown (every year below the threshold): no year is stated
    when = period_phrase(span, L) if span or not main.selection.years else L.t("n_in_selected")
    n_countries = main.countries()
    key = (
        "n_identified"
        if n_countries > 1
        else "n_identified_one"
        if n_countries == 1
        else "n_identified_nocountry"
    )
    text = L.t(key, when=when, cases=L.num(total), countries=L.whole(n_countries))
    cmp = figs.comparison
    if cmp is not None and cmp.total is not None and cmp.selection.years is not None:
        rel = change(total, cmp.total)
        cmp_span = shown_span(cmp, figs.threshold)
        period = _span_text(cmp_span or cmp.selection.years)
        if cmp_span is not None:
            claims.append(YearSpan(cmp_span.first, cmp_span.last, "comparison"))
        if rel is not None and round(rel * 100) != 0:
            claims.append(Count("total", (), cmp.total, "comparison"))
            text += L.t(
                "n_more" if rel > 0 else "n_fewer", pct=L.pct(abs(rel)), prev=L.num(cmp.total), period=period
            )
        elif rel is not None:
            text += L.t("n_same", period=period)
    if g := gender_share(main, figs.threshold):
        code, n, known = g
        claims.append(Share("gender", (code,), n, known, "known"))
        key = "n_women" if code == "Female" else "n_men"
        text += L.tn(key, known, fraction=fraction(n / known, L), n=L.num(known))
    return Sentence(text + ".", tuple(claims))


def gender_share(period: PeriodFigures, threshold: int) -> tuple[str, int, int] | None:
    """(Female or Male, its cases, cases whose gender is known) when one of them is at least half of the
    known cases and the known cases are at least the threshold."""
    female, male, known = (
        period["gender"].value("Female"),
        period["gender"].value("Male"),
        period.known("gender"),
    )
    if female is None or male is None or known is None or not shown(known, threshold):
        return None
    code, n = ("Female", female) if female >= male else ("Male", male)
    return (code, n, known) if n / known >= 0.5 else None


def _top(figs: BriefingFigures, name: str, one: str, tie: str, L: Language) -> Sentence | None:
    """The leading category of a table of counts (countries), or the few that cannot be told apart."""
    b = figs.main[name]
    hidden = hidden_most(figs.main, name)
    lead = leaders(b, figs.threshold, exact=figs.exact, hidden=hidden)
    if not lead or len(lead) > MAX_TIED:
        return None
    if len(lead) > 1:
        items = L.join([f"{L.label(k)} ({L.num(n)})" for k, n in lead], "and")
        return Sentence(L.t(tie, items=items), (Leading(name, tuple(lead)),))
    (first, n1) = lead[0]
    claims: list[Claim] = [Leading(name, ((first, n1),))]
    rest = ""
    exclude = (UNKNOWN, ANY_INFO, first)
    second = leaders(b, figs.threshold, exact=figs.exact, exclude=exclude, hidden=hidden)
    if len(second) == 1:
        rest = L.t("n_followed_by", second=L.label(second[0][0]), n=L.num(second[0][1]))
        claims.append(Leading(name, (second[0],), exclude=exclude))
    return Sentence(L.t(one, first=L.label(first), n=L.num(n1), rest=rest), tuple(claims))


def hidden_most(period: PeriodFigures, name: str) -> int | None:
    """The most a suppressed cell of a single-valued table can hold: the total less its published cells
    (None for a flag family, whose cells do not add up to a total)."""
    if name in FAMILIES or period.total is None:
        return None
    return period.total - sum(v for v in period[name].cells.values() if v is not None)


def _top_share(figs: BriefingFigures, name: str, L: Language) -> Sentence | None:
    """The leading category of a flag family as a share of the cases with information on it."""
    period = figs.main
    den = period.denominator(name)
    if den is None or not shown(den, figs.threshold):
        return None
    lead = leaders(period[name], figs.threshold, exact=figs.exact)
    if not lead or len(lead) > MAX_TIED:
        return None
    if any(n > den for _, n in lead):  # a small base estimated below a category of it: no share to state
        return None
    one, tie = FAMILY_MESSAGES[name]
    claims: list[Claim] = [Leading(name, tuple(lead))]
    claims += [Share(name, (k,), n, den, "info") for k, n in lead]
    if len(lead) == 1:
        k, n = lead[0]
        text = L.tn(one, den, label=L.label(k).lower(), pct=L.pct(n / den), n=L.num(den))
    else:
        items = L.join([f"{L.label(k).lower()} ({L.pct(n / den)})" for k, n in lead], "and")
        text = L.tn(tie, den, items=items, n=L.num(den))
    return Sentence(_capitalise(text), tuple(claims))


def minors_sentence(figs: BriefingFigures, L: Language) -> Sentence | None:
    m = minors_figure(figs.main, figs.threshold)
    if m is None or m.minors <= 0:
        return None
    key = "n_minors_age" if m.table == "ageBroad" else "n_minors_status"
    text = L.tn(key, m.known, minors=L.num(m.minors), n=L.num(m.known), pct=L.pct(m.share))
    return Sentence(_capitalise(text), (m.claim(),))


def checked_sentences(figs: BriefingFigures, L: Language) -> dict[str, list[Sentence]]:
    """Every sentence of the briefing with its claims, by section (not yet checked)."""
    main = figs.main
    out: dict[str, list[Sentence]] = {k: [] for k in SECTIONS}
    out["headline"].append(headline(figs, L))
    if (
        s := _top(figs, "exploitation_country", "n_top_country", "n_top_country_tie", L)
    ) and main.countries() > 1:
        out["where"].append(s)
    if s := minors_sentence(figs, L):
        out["profile"].append(s)
    if s := _top(figs, "citizenship", "n_top_origin", "n_top_origin_tie", L):
        out["origin"].append(s)
    for name, section in (
        ("typeOfExploit", "exploitation"),
        ("typeOfLabour", "exploitation"),
        ("meansOfControl", "control"),
        ("recruiterRelation", "recruiter"),
    ):
        if s := _top_share(figs, name, L):
            out[section].append(s)
    if s := trend_sentence(figs, L):
        out["trend"].append(s)
    return out


def sections(figs: BriefingFigures, L: Language) -> dict[str, list[str]]:
    """Narrative sentences by section (headline, where, profile, origin, exploitation, control,
    recruiter, trend), each checked against its table (``checks.verify``)."""
    out = checked_sentences(figs, L)
    verify((s for ss in out.values() for s in ss), figs, L)
    return {k: [s.text for s in ss] for k, ss in out.items()}


def trend_by_year(figs: BriefingFigures) -> dict[int, int | None]:
    """Cases by year over the comparison and main periods (each cell as protected in its period), from
    the first to the last year with a figure at or above the threshold: the years the trend shows."""
    out: dict[int, int | None] = {}
    for period in reversed(figs.periods()):
        for (y,), v in period["yearOfRegistration"].cells.items():
            if y.isdigit():
                out[int(y)] = v
    years = [y for y, v in out.items() if shown(v, figs.threshold)]
    if not years:
        return {}
    return {y: v for y, v in sorted(out.items()) if min(years) <= y <= max(years)}


def trend_sentence(figs: BriefingFigures, L: Language) -> Sentence | None:
    years = trend_by_year(figs)
    if len(years) < 3:
        return None
    (y0, a), (y1, b) = next(iter(years.items())), list(years.items())[-1]
    if a is None or b is None or a == b:
        return None
    claims = (
        YearSpan(y0, y1, "all"),
        Count("yearOfRegistration", (str(y0),), a, _period_of(figs, y0)),
        Count("yearOfRegistration", (str(y1),), b, _period_of(figs, y1)),
    )
    text = L.t("n_trend_up" if b > a else "n_trend_down", first=y0, last=y1, a=L.num(a), b=L.num(b))
    return Sentence(text, claims)


def _period_of(figs: BriefingFigures, year: int) -> Literal["main", "comparison"]:
    return (
        "main"
        if (str(year),) in figs.main["yearOfRegistration"].cells or figs.comparison is None
        else "comparison"
    )


def _capitalise(s: str) -> str:
    return s[:1].upper() + s[1:]
