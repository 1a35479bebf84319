"""Briefing sentences agree with the tables they describe: one test per sentence template over small
invented figures (no release, no network), property tests over random tables, the checker refusing a
contradicting sentence, and every sentence of briefings of the demo release checked against its tables.

Figures are invented estimates with invented 90 % intervals (a briefing only ever sees estimates)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdhub.publish.briefing import make_briefing, make_selection
from ctdhub.publish.briefing.checks import (
    ContradictionError,
    Count,
    Leading,
    Minors,
    Sentence,
    Share,
    YearSpan,
    minor_bands,
    problems,
    verify,
)
from ctdhub.publish.briefing.figures import TABLES, Breakdown, BriefingFigures, PeriodFigures
from ctdhub.publish.briefing.i18n import LANGS, Language
from ctdhub.publish.briefing.messages import MESSAGES, Plural
from ctdhub.publish.briefing.narrative import (
    checked_sentences,
    leaders,
    minors_figure,
    sections,
    trend_by_year,
)
from ctdhub.publish.briefing.render_html import _Builder, briefing_html
from ctdhub.publish.briefing.selection import Selection, Years
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

T = 10
Cells = Mapping[str, int | tuple[int, int, int]]  # category -> estimate, or (estimate, lower, upper)


def table(name: str, cells: Cells) -> Breakdown:
    """A one-way breakdown; an estimate without bounds gets a narrow interval (±2)."""
    values: dict[tuple[str, ...], int | None] = {}
    intervals: dict[tuple[str, ...], tuple[int, int]] = {}
    for k, v in cells.items():
        n, lo, hi = v if isinstance(v, tuple) else (v, max(0, v - 2), v + 2)
        values[(k,)], intervals[(k,)] = n, (lo, hi)
    return Breakdown(name, TABLES[name], values, intervals)


def period(tables: Mapping[str, Cells], total: int, years: Years | None = None) -> PeriodFigures:
    out = {name: Breakdown(name, dims, {}) for name, dims in TABLES.items()}
    out["total"] = Breakdown("total", (), {(): total}, {(): (total - 2, total + 2)})
    out.update({name: table(name, cells) for name, cells in tables.items()})
    return PeriodFigures(Selection(years=years), out)


MANIFEST: Any = SimpleNamespace(
    years=(2015, 2024),
    created_at="2025-01-01T00:00:00Z",
    standard_version="1.0",
    privacy=SimpleNamespace(epsilon=4),
)


def briefing(
    tables: Mapping[str, Cells],
    total: int = 1000,
    *,
    years: Years | None = None,
    comparison: PeriodFigures | None = None,
) -> BriefingFigures:
    return BriefingFigures("0001", T, None, period(tables, total, years), comparison, MANIFEST, citation="c")


def said(figs: BriefingFigures, section: str, lang: str = "en") -> list[Sentence]:
    return checked_sentences(figs, Language(lang, T, estimates=True))[section]


EN = Language("en", T, estimates=True)


# --- "the most frequent" ----------------------------------------------------------------------------


def test_the_most_frequent_type_is_the_largest_category_of_the_table() -> None:
    """The reported defect: "Sexual exploitation was the most frequent type (33 %)" beside Other at 44 %."""
    figs = briefing(
        {
            "typeOfExploit": {
                "isOtherExploit": 440,
                "isSexualExploit": 330,
                "isForcedLabour": 230,
                ANY_INFO: 1000,
            }
        }
    )
    (s,) = said(figs, "exploitation")
    assert s.text.startswith("Other exploitation was the most frequent type of exploitation (44%")
    assert "of the 1,000 cases with information on the type" in s.text
    assert Leading("typeOfExploit", (("isOtherExploit", 440),)) in s.claims
    verify([s], figs, EN)


def test_overlapping_intervals_name_the_leaders_without_ranking_them() -> None:
    figs = briefing(
        {
            "typeOfExploit": {
                "isSexualExploit": (500, 460, 540),
                "isForcedLabour": (480, 440, 520),
                "isOtherExploit": (20, 10, 30),
                ANY_INFO: 1000,
            }
        }
    )
    (s,) = said(figs, "exploitation")
    assert s.text == (
        "The most frequent types of exploitation were sexual exploitation (50%) and forced labour (48%), of "
        "the 1,000 cases with information on the type; their estimates are too close to rank."
    )
    for lang in ("fr", "es"):
        (t,) = said(figs, "exploitation", lang)
        assert "1\u202f000" in t.text or "1000" in t.text or "1.000" in t.text, t.text
        assert t.claims == s.claims


def test_a_country_is_the_largest_only_when_clearly_so() -> None:
    clear = briefing({"exploitation_country": {"DEU": 250, "POL": 117, "FRA": 40, UNKNOWN: 300}})
    (s,) = said(clear, "where")
    assert (
        s.text == "The largest number of victims was identified in Germany (250), followed by Poland (117)."
    )
    close = briefing({"exploitation_country": {"DEU": (250, 220, 280), "POL": (240, 210, 270), "FRA": 40}})
    (s,) = said(close, "where")
    assert s.text.startswith(
        "The largest numbers of victims were identified in Germany (250) and Poland (240)"
    )


def test_no_leader_sentence_when_too_many_cannot_be_told_apart() -> None:
    wide = {
        c: (100 + i, 0, 400)
        for i, c in enumerate(("isSexualExploit", "isForcedLabour", "isOtherExploit", "isForcedMarriage"))
    }
    assert said(briefing({"typeOfExploit": {**wide, ANY_INFO: 500}}), "exploitation") == []


# --- shares and their bases ---------------------------------------------------------------------


def test_the_share_of_women_states_its_base() -> None:
    figs = briefing(
        {"gender": {"Female": 600, "Male": 300, UNKNOWN: 100}, "exploitation_country": {"DEU": 1000}}
    )
    (s,) = said(figs, "headline")
    assert "two in three of the 900 victims whose gender is known were women or girls" in s.text
    assert Share("gender", ("Female",), 600, 900, "known") in s.claims
    keyfig = {k["label"]: k["value"] for k in _Builder(figs, EN).keyfigs()}
    assert keyfig["Women and girls, of the 900 victims whose gender is known"] == "67%"


def test_a_base_below_the_threshold_draws_no_chart_and_no_share() -> None:
    """The reported defect: an empty "Means of control" chart over "Shares are of the <10 cases"."""
    figs = briefing({"meansOfControl": {"meansOfControlThreats": 5, ANY_INFO: 6}, "gender": {"Female": 1000}})
    assert said(figs, "control") == []
    b = _Builder(figs, EN)
    assert b.bar("meansOfControl", "Means of control", percent=True) is None
    block = b.ranked_table("meansOfControl", "Means of control")
    assert block.rows == [] and block.note.startswith(
        "Too few cases have information on this topic (fewer than 10)"
    )
    html = briefing_html(figs, EN)
    control = html.split('<section id="control">')[1].split("</section>")[0]
    assert "<img" not in control and "Shares are of" not in control and "Too few cases" in control


# --- minors --------------------------------------------------------------------------------------


def test_minors_come_from_the_age_band_when_majority_status_is_unknown() -> None:
    """The reported defect: key figure "Minors –" beside an age table showing 105 minors."""
    ages = {"0--8": 40, "9--17": 65, "18--20": 200, "30--38": 500, UNKNOWN: 195}
    figs = briefing({"ageBroad": ages, "majorityStatus": {UNKNOWN: 1000}})
    assert minor_bands() == {"0--8", "9--17"}
    (s,) = said(figs, "profile")
    assert s.text == "105 of the 805 victims whose age is known (13%) were under 18 when registered."
    assert s.claims == (Minors("ageBroad", 105, 805),)
    keyfig = {k["label"]: k["value"] for k in _Builder(figs, EN).keyfigs()}
    assert keyfig["Minors, of the 805 victims whose age is known"] == "13%"


def test_minors_come_from_majority_status_when_it_is_known_for_more_cases() -> None:
    figs = briefing(
        {
            "ageBroad": {"9--17": 50, "30--38": 300, UNKNOWN: 650},
            "majorityStatus": {"Minor": 120, "Adult": 700, UNKNOWN: 180},
        }
    )
    m = minors_figure(figs.main, T)
    assert m is not None and (m.table, m.minors, m.known) == ("majorityStatus", 120, 820)
    (s,) = said(figs, "profile")
    assert "120 of the 820 victims whose majority status at registration is known" in s.text
    _, secs = _Builder(figs, EN).sections()
    profile = next(x for x in secs if x.id == "profile")
    assert any(b.title == "Majority status at registration" for b in profile.blocks)  # its table is shown


# --- years ---------------------------------------------------------------------------------------


def test_years_are_the_years_the_trend_shows() -> None:
    """The reported defect: key-figure years 2015–2026 beside a chart ending in 2024."""
    years = {str(y): 100 + 10 * (y - 2015) for y in range(2015, 2025)} | {"2025": 3, "1990": 2}
    figs = briefing(
        {"yearOfRegistration": years, "exploitation_country": {"DEU": 1000}}, years=Years(2015, 2026)
    )
    (h,) = said(figs, "headline")
    assert h.text.startswith("In 2015–2024, 1,000 victims") and YearSpan(2015, 2024, "main") in h.claims
    assert list(trend_by_year(figs)) == list(range(2015, 2025))
    (t,) = said(figs, "trend")
    assert t.text == "Between 2015 and 2024, the number of victims identified per year rose from 100 to 190."


# --- the checker refuses a contradicting sentence ------------------------------------------------


def test_the_checker_refuses_sentences_that_contradict_their_table() -> None:
    figs = briefing(
        {
            "typeOfExploit": {"isOtherExploit": 440, "isSexualExploit": 330, ANY_INFO: 1000},
            "gender": {"Female": 600, "Male": 300, UNKNOWN: 100},
            "ageBroad": {"9--17": 105, "30--38": 700, UNKNOWN: 195},
            "yearOfRegistration": {"2015": 500, "2024": 500, "2026": 0},
        }
    )
    false = [
        Sentence(
            "Sexual exploitation was the most frequent type of exploitation (33% of the 1,000 cases).",
            (Leading("typeOfExploit", (("isSexualExploit", 330),)),),
        ),
        Sentence(
            "67% of the 1,000 victims were women or girls.",
            (Share("gender", ("Female",), 600, 1000, "known"),),
        ),
        Sentence("67% of victims were women or girls.", (Share("gender", ("Female",), 600, 900, "known"),)),
        Sentence("Minors: 0 of the 805.", (Minors("ageBroad", 0, 805),)),
        Sentence("From 2015 to 2026.", (YearSpan(2015, 2026),)),
        Sentence("1,001 victims.", (Count("total", (), 1001),)),
    ]
    for s in false:
        with pytest.raises(ContradictionError):
            verify([s], figs, EN)
    true = Sentence(
        "Other exploitation (44% of the 1,000 cases with information); 105 of the 805; 2015 to 2024.",
        (
            Leading("typeOfExploit", (("isOtherExploit", 440),)),
            Share("typeOfExploit", ("isOtherExploit",), 440, 1000, "info"),
            Minors("ageBroad", 105, 805),
            YearSpan(2015, 2024),
        ),
    )
    verify([true], figs, EN)


def test_a_contradicting_sentence_refuses_the_briefing(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a template ever named the wrong category, the briefing would be refused, not printed."""
    from ctdhub.publish.briefing import narrative

    figs = briefing({"typeOfExploit": {"isOtherExploit": 440, "isSexualExploit": 330, ANY_INFO: 1000}})

    def wrong(b: Breakdown, threshold: int, **kw: Any) -> list[tuple[str, int]]:
        if b.name != "typeOfExploit":
            return leaders(b, threshold, **kw)
        return [("isSexualExploit", 330)]  # the old defect: the largest, "other", passed over

    monkeypatch.setattr(narrative, "leaders", wrong)
    with pytest.raises(ContradictionError, match="isOtherExploit"):
        sections(figs, EN)


# --- property tests ------------------------------------------------------------------------------

TYPES = ("isSexualExploit", "isForcedLabour", "isOtherExploit", "isForcedMarriage")
estimate = st.integers(0, 3000)


@st.composite
def flag_table(draw: st.DrawFn) -> dict[str, tuple[int, int, int]]:
    out = {}
    for code in TYPES:
        n, w = draw(estimate), draw(st.integers(0, 200))
        out[code] = (n, max(0, n - w), n + w)
    info = max(v[0] for v in out.values()) + draw(st.integers(0, 3000))
    out[ANY_INFO] = (info, info, info)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    types=flag_table(),
    gender=st.tuples(estimate, estimate, estimate),
    ages=st.lists(estimate, min_size=4, max_size=4),
    lang=st.sampled_from(LANGS),
)
def test_every_sentence_agrees_with_its_table(
    types: dict[str, tuple[int, int, int]], gender: tuple[int, int, int], ages: list[int], lang: str
) -> None:
    female, male, unknown = gender
    total = max(female + male + unknown, sum(ages), 1)
    figs = briefing(
        {
            "typeOfExploit": types,
            "gender": {"Female": female, "Male": male, UNKNOWN: unknown},
            "ageBroad": dict(zip(("0--8", "9--17", "30--38", UNKNOWN), ages, strict=True)),
        },
        total,
    )
    L = Language(lang, T, estimates=True)
    out = sections(figs, L)  # the checker passes: no sentence contradicts its table
    # and, read independently of the checker: a single leader is clearly the largest, the named are the top
    (s,) = said(figs, "exploitation", lang) or (None,)
    if s is not None:
        (lead,) = [c for c in s.claims if isinstance(c, Leading)]
        named = dict(lead.named)
        for code in TYPES:
            n, _lo, hi = types[code]
            if code not in named:
                assert all(n <= v for v in named.values())
                if len(named) == 1:
                    assert hi < types[next(iter(named))][1]
        assert str(L.num(types[ANY_INFO][0])) in s.text
    assert out["exploitation"] == ([s.text] if s else [])
    for s in said(figs, "headline", lang):
        for c in s.claims:
            if isinstance(c, Share):
                assert c.denominator == total - unknown and c.denominator >= T
                assert L.num(c.denominator) in s.text


@settings(max_examples=100, deadline=None)
@given(years=st.dictionaries(st.integers(2010, 2026).map(str), st.integers(0, 60), min_size=1, max_size=17))
def test_trend_years_are_the_shown_years(years: dict[str, int]) -> None:
    figs = briefing(
        {"yearOfRegistration": years, "exploitation_country": {"DEU": 1000}}, years=Years(2010, 2026)
    )
    shown = sorted(int(y) for y, v in years.items() if v >= T)
    trend = list(trend_by_year(figs))
    assert (trend[:1] + trend[-1:]) == (shown[:1] + shown[-1:] if shown else [])
    for s in said(figs, "headline") + said(figs, "trend"):
        for y in re.findall(r"\b(?:19|20)\d\d\b", s.text):
            assert int(y) in shown, s.text


# --- the catalogue -----------------------------------------------------------------------------


def test_count_messages_have_plural_forms_in_every_language() -> None:
    for key in ("n_women", "n_minors_age", "n_minors_status", "n_top_type_tie", "k_women_of", "more_rows"):
        assert isinstance(MESSAGES[key], Plural), key
    L = Language("en", T, estimates=True)
    assert L.tn("more_rows", 1, n="1", s="0", lt="<10").startswith("1 further category is not")
    assert L.tn("more_rows", 2, n="2", s="0", lt="<10").startswith("2 further categories are not")
    fr = Language("fr", T, estimates=True)
    assert fr.tn("more_rows", 1, n="1", s="0", lt="<10").startswith("1 autre catégorie n'est pas")
    assert fr.tn("more_rows", 3, n="3", s="0", lt="<10").startswith("3 autres catégories ne sont pas")
    es = Language("es", T, estimates=True)
    assert es.tn("more_rows", 3, n="3", s="0", lt="<10").startswith("3 categorías más no se listan")


# --- the demo release: every sentence checked against its tables ---------------------------------

POLICY = (
    "policy: t\nprivacy: {epsilon: 4, delta: 1.0e-6, lifetime_epsilon: 12, display_threshold: 10}\n"
    "formats: [csv]\n"
)
SELECTIONS: list[dict[str, Any]] = [
    {},
    {"years": "2023", "exploitation_regions": ["Europe"]},
    {"years": "2015-2026"},
    {"datasources": ["Hotline"], "years": "2024"},
]


@pytest.mark.parametrize("sel", SELECTIONS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "all")
def test_demo_briefing_sentences_hold(
    make_demo_release: Callable[[str, int], Path], sel: dict[str, Any]
) -> None:
    from ctdhub.publish import Gate

    view = Gate(make_demo_release(POLICY, 7).parent).release(None)
    b = make_briefing(view, make_selection(**sel), fmt="json")
    doc = json.loads(b.content)
    figs = b.figures
    claims = [c for ss in checked_sentences(figs, EN).values() for s in ss for c in s.claims]
    assert claims and all(problems(c, figs) == [] for c in claims)
    headline = doc["narrative"]["headline"][0]
    assert "whose gender is known" in headline or "were women" not in headline
    shown = [int(y) for y, v in doc["yearOfRegistration"].items() if y.isdigit() and v >= T]
    for s in doc["narrative"]["trend"] + doc["narrative"]["headline"]:
        for y in re.findall(r"\b(?:19|20)\d\d\b", s):
            assert int(y) in shown or (figs.comparison is not None), s


def test_exact_figures_name_a_leader_only_if_no_suppressed_cell_could_match_it() -> None:
    """The staff's exact briefing: a suppressed cell holds at most the total less the published cells."""

    def exact(cells: dict[str, int | None], total: int) -> BriefingFigures:
        p = period({}, total)
        p.tables["exploitation_country"] = Breakdown(
            "exploitation_country", TABLES["exploitation_country"], {(k,): v for k, v in cells.items()}
        )
        return BriefingFigures("0001", T, None, p, None, MANIFEST, exact=True)

    figs = exact({"DEU": 600, "POL": 300, "FRA": None, UNKNOWN: 50}, 1000)  # FRA holds at most 50
    (s,) = checked_sentences(figs, Language("en", T))["where"]
    assert (
        s.text == "The largest number of victims was identified in Germany (600), followed by Poland (300)."
    )
    verify([s], figs, Language("en", T))
    (s,) = checked_sentences(exact({"DEU": 600, "POL": 90, "FRA": None}, 1000), Language("en", T))["where"]
    assert (
        s.text == "The largest number of victims was identified in Germany (600)."
    )  # FRA ≤ 310: maybe second
    assert (
        checked_sentences(exact({"DEU": 400, "POL": 90, "FRA": None}, 1000), Language("en", T))["where"] == []
    )
