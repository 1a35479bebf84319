"""Sentences generated from the briefing's figures, in the briefing's language.

Every number a sentence prints is a figure of the briefing (or a percentage of two of them): in a public
briefing a model estimate, in the staff's exact briefing a published (unsuppressed) figure; a sentence
whose figure is suppressed is left out or falls back to a wording without that number. Messages come
from the catalogue in ``i18n``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ctdhub.publish.briefing.figures import BriefingFigures, PeriodFigures, change, share
from ctdhub.publish.briefing.i18n import Language
from ctdhub.publish.briefing.selection import Selection, Years

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


def headline(figs: BriefingFigures, L: Language) -> str:
    """'In 2015, 417 victims were identified in 17 countries, 65% more than the 252 of 2014; two in
    three were women or girls.'"""
    main = figs.main
    total = main.total
    if total is None:
        return L.t("n_total_hidden")
    when = period_phrase(main.selection.years, L)
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
        period = str(cmp.selection.years).replace("-", "–")
        if rel is not None and round(rel * 100) != 0:
            text += L.t(
                "n_more" if rel > 0 else "n_fewer", pct=L.pct(abs(rel)), prev=L.num(cmp.total), period=period
            )
        elif rel is not None:
            text += L.t("n_same", period=period)
    female, male = main["gender"].value("Female"), main["gender"].value("Male")
    base = main.known("gender") or total
    if female is not None and male is not None:
        top, key = (female, "n_women") if female >= male else (male, "n_men")
        p = share(top, base)
        if p is not None and p >= 0.5:
            text += L.t(key, fraction=fraction(p, L))
    return text + "."


def _top(period: PeriodFigures, name: str, message: str, L: Language) -> str | None:
    ranked = [(k, v) for k, v in period[name].ranked() if v is not None]
    if not ranked:
        return None
    (first, n1) = ranked[0]
    rest = (
        L.t("n_followed_by", second=L.label(ranked[1][0]), n=L.num(ranked[1][1])) if len(ranked) > 1 else ""
    )
    return L.t(message, first=L.label(first), n=L.num(n1), rest=rest)


def _top_share(period: PeriodFigures, name: str, message: str, L: Language) -> str | None:
    fam = period[name]
    den = period.denominator(name)
    ranked = [(k, v) for k, v in fam.ranked() if v is not None and not _vague(k)]
    if not ranked or den is None:
        return None
    p = share(ranked[0][1], den)
    if p is None:
        return None
    return L.t(message, label=L.label(ranked[0][0]).lower(), pct=L.pct(p))


def sections(figs: BriefingFigures, L: Language) -> dict[str, list[str]]:
    """Narrative sentences by section (headline, where, profile, origin, exploitation, control,
    recruiter, trend)."""
    main = figs.main
    out: dict[str, list[str]] = {
        k: []
        for k in ("headline", "where", "profile", "origin", "exploitation", "control", "recruiter", "trend")
    }
    out["headline"].append(headline(figs, L))
    if (s := _top(main, "exploitation_country", "n_top_country", L)) and main.countries() > 1:
        out["where"].append(s)
    minors = main["majorityStatus"].value("Minor")
    if minors is not None and minors > 0:
        p = share(minors, main.known("majorityStatus"))
        out["profile"].append(
            L.t("n_minors", minors=L.num(minors), pct=L.pct(p))
            if p is not None
            else L.t("n_minors_nopct", minors=L.num(minors))
        )
    if s := _top(main, "citizenship", "n_top_origin", L):
        out["origin"].append(s)
    if s := _top_share(main, "typeOfExploit", "n_top_type", L):
        out["exploitation"].append(_capitalise(s))
    if s := _top_share(main, "typeOfLabour", "n_top_labour", L):
        out["exploitation"].append(s)
    if s := _top_share(main, "meansOfControl", "n_top_control", L):
        out["control"].append(s)
    if s := _top_share(main, "recruiterRelation", "n_top_recruiter", L):
        out["recruiter"].append(s)
    if s := trend_sentence(figs, L):
        out["trend"].append(s)
    return out


def trend_by_year(figs: BriefingFigures) -> dict[int, int | None]:
    """Cases by year over the comparison and main periods (each cell as protected in its period)."""
    out: dict[int, int | None] = {}
    for period in reversed(figs.periods()):
        for (y,), v in period["yearOfRegistration"].cells.items():
            if y.isdigit():
                out[int(y)] = v
    return dict(sorted(out.items()))


def trend_sentence(figs: BriefingFigures, L: Language) -> str | None:
    years = trend_by_year(figs)
    if len(years) < 3:
        return None
    (y0, a), (y1, b) = next(iter(years.items())), list(years.items())[-1]
    if a is None or b is None or a == b:
        return None
    return L.t("n_trend_up" if b > a else "n_trend_down", first=y0, last=y1, a=L.num(a), b=L.num(b))


def _vague(code: str) -> bool:
    """Residual categories (other, not specified, unknown) that a sentence should not single out."""
    return code.endswith(("Other", "NotSpecified", "Unknown")) or code == "isOtherExploit"


def _capitalise(s: str) -> str:
    return s[:1].upper() + s[1:]
