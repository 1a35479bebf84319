"""The briefing as one self-contained HTML file: inline CSS, charts as inline SVG images, no external URL.

Tables and charts are built from the briefing's figures only. In a public briefing every figure is a
model estimate, tables carry each one's 90 % interval and estimates below the display threshold print as
"<threshold". In the staff's exact briefing suppressed cells print as "<threshold" and are left out of the
charts, no row adds cells up, and every page carries the "Restricted" banner. Charts use the dashboard's
Vega-Lite builders in ``ctdhub.publish.charts``, drawn offline to SVG by vl-convert. A breakdown whose
base (cases with information, or all cases) is below the display threshold draws no chart and no shares:
its table says that too few cases have information. Key figures state their bases and come from the same
figures as the narrative (``narrative.minors_figure``, ``narrative.gender_share``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2

from ctdhub import __version__
from ctdhub.publish import charts, colours
from ctdhub.publish.briefing.figures import FAMILIES, BriefingFigures, PeriodFigures, share
from ctdhub.publish.briefing.i18n import Language
from ctdhub.publish.briefing.methods import citation, methods
from ctdhub.publish.briefing.narrative import (
    minors_figure,
    sections,
    selection_text,
    trend_by_year,
)
from ctdhub.publish.web import geometry
from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN

TOP = 10
# the staff's exact briefing: the banner on every printed page (WeasyPrint page margin boxes)
RESTRICTED_PAGE_CSS = """
@page { @top-center { content: "{banner}"; color: #b00020; font-weight: bold; font-size: 9pt; } }
@page { @bottom-center { content: "{banner}"; color: #b00020; font-weight: bold; font-size: 9pt; } }
"""


@dataclass
class Block:
    """One table, figure or note of a section."""

    kind: str
    title: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    src: str = ""
    alt: str = ""
    text: str = ""


@dataclass
class Section:
    id: str
    heading: str
    sentences: list[str]
    blocks: list[Block]


def _template_text(name: str) -> str:
    return resources.files("ctdhub.publish.briefing").joinpath("templates", name).read_text(encoding="utf-8")


def svg_data_uri(spec: charts.Spec) -> str:
    svg = charts.render_svg(spec)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _figure(spec: charts.Spec) -> Block:
    return Block("figure", src=svg_data_uri(spec), alt=str(spec.get("description", "")))


class _Builder:
    def __init__(self, figs: BriefingFigures, L: Language) -> None:
        self.figs, self.L, self.main = figs, L, figs.main

    # --- tables -------------------------------------------------------------------------------------
    def ranked_table(
        self, name: str, title: str, *, top: int | None = None, col: str = "c_category"
    ) -> Block:
        """Categories by count (largest first), with shares over the breakdown's base."""
        period, L = self.main, self.L
        den = period.denominator(name) if name in FAMILIES else period.total
        if not self.has_base(den):
            return Block("table", title=title, note=L.t("few_info", t=L.whole(self.figs.threshold)))
        ranked = period[name].ranked()
        shown = ranked[:top] if top else ranked
        b = period[name]
        intervals = not self.figs.exact

        def row(k: str, v: int | None) -> list[str]:
            cells = [L.label(k), L.num(v), L.pct(share(v, den))]
            mark = "*" if (k,) in b.modelled else ""
            return [*cells, L.interval(b.interval(k)) + mark] if intervals else cells

        rows = [row(k, v) for k, v in shown]
        unknown = b.cells.get((UNKNOWN,), 0) if name not in FAMILIES else 0
        if name not in FAMILIES and unknown != 0 and (top is None or len(ranked) <= top):
            rows.append(row(UNKNOWN, unknown))
        note = ""
        if top and len(ranked) > top:
            hidden = ranked[top:]
            note = L.tn(
                "more_rows",
                len(hidden),
                n=L.whole(len(hidden)),
                s=L.whole(sum(1 for _, v in hidden if v is None or (intervals and v < self.figs.threshold))),
                lt=L.num(None),
            )
        base = L.t("share_of_info", n=L.num(den)) if name in FAMILIES else L.t("share_of_all", n=L.num(den))
        if intervals and any((k,) in b.modelled for k, _ in shown):
            note = " ".join(x for x in (note, L.t("modelled_note")) if x)
        return Block(
            "table",
            title=title,
            header=[L.t(col), L.t("c_cases"), L.t("c_share")] + ([L.t("c_interval")] if intervals else []),
            rows=rows,
            note=" ".join(x for x in (base, note) if x),
        )

    def has_base(self, den: int | None) -> bool:
        """A base of shares that is shown (not suppressed, at or above the display threshold)."""
        return den is not None and den >= self.figs.threshold

    def majority_table(self) -> Block:
        """Minors and adults at registration, with shares of the cases whose status is known."""
        L, b = self.L, self.main["majorityStatus"]
        den = self.main.known("majorityStatus")
        intervals = not self.figs.exact
        rows = []
        for code in ("Minor", "Adult", UNKNOWN):
            v = b.value(code)
            cells = [L.label(code), L.num(v), L.pct(share(v, den)) if code != UNKNOWN else ""]
            rows.append([*cells, L.interval(b.interval(code))] if intervals else cells)
        return Block(
            "table",
            title=L.t("t_majorityStatus"),
            header=[L.t("c_category"), L.t("c_cases"), L.t("c_share")]
            + ([L.t("c_interval")] if intervals else []),
            rows=rows,
            note=L.t("share_of_known", n=L.num(den)),
        )

    def gender_age_table(self) -> Block:
        L, p = self.L, self.main
        genders = [
            g
            for g in ("Female", "Male", "Transgender/NonConforming", UNKNOWN)
            if any(k[0] == g for k in p["gender_ageBroad"].cells)
        ]
        ages = [*load_standard().field("ageBroad").codes, UNKNOWN]
        ages = [a for a in ages if (a,) in p["ageBroad"].cells]
        rows = [
            [
                L.label(a),
                *(L.num(p["gender_ageBroad"].value(g, a)) for g in genders),
                L.num(p["ageBroad"].value(a)),
            ]
            for a in ages
        ]
        rows.append([L.t("c_total"), *(L.num(p["gender"].value(g)) for g in genders), L.num(p.total)])
        return Block(
            "table",
            title=L.t("t_gender_age"),
            header=[L.t("c_age"), *(L.label(g) for g in genders), L.t("c_total")],
            rows=rows,
        )

    def trend_table(self) -> Block:
        L = self.L
        years = trend_by_year(self.figs)
        return Block(
            "table",
            title=L.t("t_trend"),
            header=[L.t("c_year"), L.t("c_cases")],
            rows=[[str(y), L.num(v)] for y, v in years.items()],
        )

    # --- charts -------------------------------------------------------------------------------------
    def bar(self, name: str, title: str, *, top: int | None = None, percent: bool = False) -> Block | None:
        """A bar chart; None when its base is below the display threshold (nothing to draw)."""
        p, L = self.main, self.L
        ranked = p[name].ranked()[: top or None]
        den = p.denominator(name) if name in FAMILIES else p.total
        if not self.has_base(den):
            return None
        rows: list[dict[str, Any]] = [
            {"category": L.label(k), "value": share(v, den) if percent else v} for k, v in ranked
        ]
        spec = charts.bar_spec(
            rows,
            "category",
            value="value",
            title=title,
            value_title=L.t("c_share") if percent else L.t("c_cases"),
            category_title="",
            percent=percent,
            width=380,
        )
        return _figure(spec)

    def gender_age_chart(self) -> Block:
        p, L = self.main, self.L
        order = {a: i for i, a in enumerate(load_standard().field("ageBroad").codes)}
        rows: list[dict[str, Any]] = [
            {"age": L.label(a), "gender": L.label(g), "count": v, "_o": order.get(a, 99)}
            for (g, a), v in p["gender_ageBroad"].items()
            if a != UNKNOWN and g != UNKNOWN
        ]
        rows.sort(key=lambda r: r["_o"])
        genders = list(
            dict.fromkeys(g for (g, a), _ in p["gender_ageBroad"].items() if a != UNKNOWN and g != UNKNOWN)
        )
        spec = charts.stacked_bar_spec(
            rows,
            "age",
            "gender",
            title=L.t("t_gender_age"),
            value_title=L.t("c_cases"),
            x_title=L.t("c_age"),
            color_title=L.t("c_gender"),
            color_scale=colours.scale("gender", genders, L.label),
            width=420,
            height=220,
        )
        spec["encoding"]["x"]["sort"] = [r["age"] for r in rows]
        return _figure(spec)

    def trend_chart(self) -> Block | None:
        """Cases by year over the years shown: a year without a figure is a gap, never a joined line; a
        figure below the display threshold is a hollow point."""
        L = self.L
        years = trend_by_year(self.figs)
        if len(years) < 2:
            return None
        t = self.figs.threshold
        rows: list[dict[str, Any]] = []
        for y in range(min(years), max(years) + 1):
            v = years.get(y)
            rows.append({"year": str(y), "count": v, "below": v is not None and v < t})
        spec = charts.line_spec(
            rows,
            "year",
            below="below",
            title=L.t("t_trend"),
            value_title=L.t("c_cases"),
            x_title="",
            width=460,
            height=200,
        )
        return _figure(spec)

    def trend_type_chart(self) -> Block | None:
        """Cases by year and type of exploitation, one fixed colour per type (the dashboard's)."""
        L = self.L
        shown = trend_by_year(self.figs)
        t = self.figs.threshold
        cells: dict[tuple[str, str], int] = {}
        for period in reversed(self.figs.periods()):
            for (y, kind), v in period["yearOfRegistration_typeOfExploit"].items():
                if y.isdigit() and int(y) in shown and kind != ANY_INFO and v is not None:
                    cells[(y, kind)] = v
        kinds = [k for k in colours.codes_of("typeOfExploit") if any(k == c for _, c in cells)]
        if len(shown) < 2 or not kinds:
            return None
        rows: list[dict[str, Any]] = []
        for year in range(min(shown), max(shown) + 1):
            y = str(year)
            for kind in kinds:
                v = cells.get((y, kind), 0) if year in shown else None
                rows.append({"year": y, "type": L.label(kind), "count": v, "below": v is not None and v < t})
        spec = charts.line_spec(
            rows,
            "year",
            color="type",
            below="below",
            color_scale=colours.scale("typeOfExploit", kinds, L.label),
            title=L.t("t_trend_type"),
            value_title=L.t("c_cases"),
            x_title="",
            color_title="",
            width=460,
            height=200,
        )
        return _figure(spec)

    def where_chart(self) -> Block | None:
        """Countries of exploitation, largest first."""
        return self.bar("exploitation_country", self.L.t("t_exploitation_country", n=TOP), top=TOP)

    def where_map(self) -> Block | None:
        """Countries of exploitation on a world map (the dashboard's choropleth, shipped geometry; no link,
        as a briefing is a document). None when no country is known."""
        L = self.L
        values = {
            k[0]: v
            for k, v in self.main["exploitation_country"].items()
            if v is not None and k[0] not in (UNKNOWN, "")
        }
        if not any(values.values()):
            return None
        threshold = self.figs.threshold
        below = {iso for iso, v in values.items() if self.L.estimates and 0 < v < threshold}
        title = L.t("t_exploitation_map")
        svg, _ = geometry.world_map_svg(
            values,
            below=below,
            href=lambda _iso: "",
            describe=lambda iso, n: f"{L.label(iso)}: {L.num(n) if n else L.t('map_none')}",
            legend_labels={"below": L.num(0) if L.estimates else "", "none": L.t("map_none")},
            fmt=L.whole,
            title=title,
            lowest=threshold if L.estimates else 1,
        )
        if "xmlns=" not in svg[:200]:  # drawn for inline HTML; an <img> needs the namespace
            svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return Block("figure", src=uri, alt=title)

    # --- sections -----------------------------------------------------------------------------------
    def sections(self) -> tuple[list[str], list[Section]]:
        L = self.L
        text = sections(self.figs, L)
        minors = minors_figure(self.main, self.figs.threshold)
        majority = [self.majority_table()] if minors is not None and minors.table == "majorityStatus" else []
        secs = [
            Section(
                "where",
                L.t("h_where"),
                text["where"],
                _present(
                    [
                        *([m] if (m := self.where_map()) else []),
                        self.where_chart(),
                        self.ranked_table(
                            "exploitation_country",
                            L.t("t_exploitation_country", n=TOP),
                            top=TOP,
                            col="c_country",
                        ),
                        self.ranked_table(
                            "exploitation_region", L.t("t_exploitation_region"), col="c_region"
                        ),
                    ]
                ),
            ),
            Section(
                "profile",
                L.t("h_profile"),
                text["profile"],
                _present([self.gender_age_chart(), self.gender_age_table(), *majority]),
            ),
            Section(
                "origin",
                L.t("h_origin"),
                text["origin"],
                _present(
                    [
                        self.bar("citizenship", L.t("t_citizenship", n=TOP), top=TOP),
                        self.ranked_table(
                            "citizenship", L.t("t_citizenship", n=TOP), top=TOP, col="c_country"
                        ),
                        self.ranked_table("citizenship_region", L.t("t_citizenship_region"), col="c_region"),
                    ]
                ),
            ),
            Section(
                "exploitation",
                L.t("h_exploitation"),
                text["exploitation"],
                _present(
                    [
                        self.bar("typeOfExploit", L.t("t_typeOfExploit"), percent=True),
                        self.ranked_table("typeOfExploit", L.t("t_typeOfExploit")),
                        self.ranked_table("typeOfLabour", L.t("t_typeOfLabour")),
                        self.ranked_table("typeOfSex", L.t("t_typeOfSex")),
                    ]
                ),
            ),
            Section(
                "control",
                L.t("h_control"),
                text["control"],
                _present(
                    [
                        self.bar("meansOfControl", L.t("t_meansOfControl"), percent=True),
                        self.ranked_table("meansOfControl", L.t("t_meansOfControl")),
                    ]
                ),
            ),
            Section(
                "recruiter",
                L.t("h_recruiter"),
                text["recruiter"],
                _present(
                    [
                        self.ranked_table("recruiterRelation", L.t("t_recruiterRelation")),
                    ]
                ),
            ),
            Section(
                "trend",
                L.t("h_trend"),
                text["trend"],
                [
                    b
                    for b in (self.trend_chart(), self.trend_type_chart(), self.trend_table())
                    if b is not None
                ],
            ),
        ]
        return text["headline"], secs

    def keyfigs(self) -> list[dict[str, str]]:
        L, p, cmp = self.L, self.main, self.figs.comparison
        out = [{"value": L.num(p.total), "label": L.t("k_cases")}]
        if cmp is not None and cmp.selection.years is not None:
            from ctdhub.publish.briefing.figures import change

            c = change(p.total, cmp.total)
            value = L.t("not_published") if c is None else ("+" if c > 0 else "") + L.pct(c)
            out.append({"value": value, "label": L.t("k_change", period=str(cmp.selection.years))})
        out.append({"value": L.whole(p.countries()), "label": L.t("k_countries")})
        t = self.figs.threshold
        female, known = p["gender"].value("Female"), p.known("gender")
        if female is not None and known is not None and known >= t:
            out.append({"value": L.pct(female / known), "label": L.tn("k_women_of", known, n=L.num(known))})
        else:
            out.append({"value": "–", "label": L.t("k_women")})
        m = minors_figure(p, t)
        if m is not None:
            key = "k_minors_age" if m.table == "ageBroad" else "k_minors_status"
            out.append({"value": L.pct(m.share), "label": L.tn(key, m.known, n=L.num(m.known))})
        else:
            out.append({"value": "–", "label": L.t("k_minors")})
        return out


def _present(blocks: list[Block | None]) -> list[Block]:
    return [b for b in blocks if b is not None]


def _has_suppressed(p: PeriodFigures) -> bool:
    return any(b.suppressed() for b in p.tables.values())


def briefing_html(figs: BriefingFigures, L: Language, *, extra_css: str = "") -> str:
    """The whole briefing as one HTML document."""
    b = _Builder(figs, L)
    headline, secs = b.sections()
    if figs.exact:
        extra_css += RESTRICTED_PAGE_CSS.replace("{banner}", L.t("restricted").replace('"', "'"))
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_template_text("briefing.html"))
    return template.render(
        lang=L.lang,
        version=__version__,
        title=L.t("title"),
        subtitle=L.t(
            "subtitle",
            release=figs.release_id,
            selection=selection_text(figs.main.selection, L, figs.manifest.years),
        ),
        css=_template_text("briefing.css") + extra_css,
        t=L.t,
        keyfigs=b.keyfigs(),
        narrative={"headline": headline},
        sections=secs,
        methods=methods(figs, L),
        suppressed_note=L.t("n_suppressed", lt=L.num(None), max=figs.threshold - 1)
        if _has_suppressed(figs.main)
        else "",
        citation=citation(figs, L),
        restricted=L.t("restricted") if figs.exact else "",
    )
