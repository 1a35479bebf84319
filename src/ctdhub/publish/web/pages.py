"""The dashboard's pages: overview, map, flows, victim profile, country and region pages (downloads and
about are in `release_pages`).

Each page reads the release through the gate (`ReleaseViews`, shared with the API) and asks `stats()`
for every figure, exactly as `/api/v1/stats` does; the filters live in the query string (plain GET
form), as does the language (`?lang=fr`). Every figure is a differentially private estimate: any
combination of filters is answered, each number comes with its 90 % interval, and an estimate below the
display threshold reads "fewer than N". The about page and the footer's release date read only the
release manifest (public), never the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ctdhub.geo import resolver
from ctdhub.publish.api import file_url
from ctdhub.publish.errors import status_for
from ctdhub.publish.gate import DisclosureError, ReleaseView
from ctdhub.publish.stats import FILTER_DIMS, Filters, StatsError, StatsResult, stats
from ctdhub.publish.tables import ReleaseViews, published_values
from ctdhub.publish.web import geometry
from ctdhub.publish.web.formats import release_date
from ctdhub.publish.web.i18n import LANG_NAMES, LANGS, N_, Lang, pick_lang
from ctdhub.publish.web.jinja import render_page
from ctdhub.publish.web.render import (
    Panel,
    bar_panel,
    count_text,
    csv_url,
    fewer_than,
    interval_text,
    two_dim_panel,
)
from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, UNKNOWN, YEAR

router = APIRouter(include_in_schema=False)

FILTER_KEYS: tuple[str, ...] = ("year_from", "year_to", *FILTER_DIMS)
# (filter parameter, dimension whose published values fill its menu)
FORM_FILTERS: tuple[tuple[str, str], ...] = (
    ("exploitation_region", "exploitation_region"),
    ("exploitation_country", "CountryOfExploitation"),
    ("citizenship_region", "citizenship_region"),
    ("citizenship", "citizenship"),
    ("gender", "gender"),
    ("ageBroad", "ageBroad"),
    ("typeOfExploit", "typeOfExploit"),
    ("Datasource", "Datasource"),
)
SIDE_FILTERS = {
    "exploitation": ("exploitation_country", "exploitation_region", "exploitation_subregion"),
    "citizenship": ("citizenship", "citizenship_region", "citizenship_subregion"),
}
NAV: tuple[tuple[str, str], ...] = (
    ("/", N_("Overview")),
    ("/map", N_("Map")),
    ("/flows", N_("Flows")),
    ("/profile", N_("Victim profile")),
    ("/downloads", N_("Downloads")),
    ("/about", N_("About")),
)
# id, title, dims, kind ('stacked', 'bar' in category order, 'family': shares of "(any information)")
PROFILE: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("gender-age", N_("Gender and age band"), ("ageBroad", "gender"), "stacked"),
    ("minors", N_("Minors and adults"), ("majorityStatus",), "bar"),
    ("exploit", N_("Type of exploitation"), ("typeOfExploit",), "family"),
    ("labour", N_("Industries of forced labour"), ("typeOfLabour",), "family"),
    ("sex", N_("Types of sexual exploitation"), ("typeOfSex",), "family"),
    ("control", N_("Means of control"), ("meansOfControl",), "family"),
    ("recruiter", N_("Relationship with the recruiter"), ("recruiterRelation",), "family"),
)


TOP_COUNTRIES = 10  # countries drawn in a country-to-country chart (the table lists all)


class PageNotFound(Exception):
    """An unknown country or region: a friendly 404 page."""


class FilterRefused(Exception):
    """Filters the dashboard refuses with a message in the page's language (a 400 page, like every other
    filter that cannot be applied): a year outside the release's years, or a first year after the last."""


@dataclass
class Ctx:
    """One request: language, release view, the user's filters and how to build links that keep them."""

    request: Request
    lang: Lang
    view: ReleaseView
    release_param: str | None
    query: list[tuple[str, str]]
    filters: Filters
    extra: dict[str, str] = field(default_factory=dict)
    hide: set[str] = field(default_factory=set)

    def params(self, *, keep_filters: bool = True, lang: str | None = None, **extra: str | None) -> str:
        q: list[tuple[str, str]] = list(self.query) if keep_filters else []
        merged = {**self.extra, **extra}
        q += [(k, v) for k, v in merged.items() if v]
        if self.release_param:
            q.append(("release", self.release_param))
        code = lang or self.lang.code
        if code != "en":
            q.append(("lang", code))
        return urlencode(q)

    def url(self, path: str, *, keep_filters: bool = True, **extra: str | None) -> str:
        """A dashboard link keeping the language (and, by default, the filters and page options)."""
        qs = self.params(keep_filters=keep_filters, **extra)
        return path + ("?" + qs if qs else "")

    def lang_url(self, code: str) -> str:
        """This page in another language (filters and options kept)."""
        qs = self.params(lang=code)
        return self.request.url.path + ("?" + qs if qs else "")

    def stats(self, dims: list[str], filters: Filters | None = None) -> StatsResult | str:
        """`stats()` for these dims and filters, or why they cannot be combined (e.g. two flag families)."""
        try:
            return stats(self.view, dims, filters if filters is not None else self.filters)
        except StatsError as exc:
            return exc.message

    def panel(
        self,
        pid: str,
        title: str,
        dims: list[str],
        filters: Filters | None = None,
        build: Callable[[Panel, StatsResult], Panel] | None = None,
    ) -> Panel:
        """A panel for `dims`: its stats result turned into chart and table by `build`."""
        p = Panel(pid, self.lang.gettext(title), dims)
        result = self.stats(dims, filters)
        if isinstance(result, str):
            p.error = result
            return p
        p.csv_url = csv_url(result.dims, filter_query(result.filters), result.release)
        p.source = source_line(self.lang, result)
        return build(p, result) if build else p


def filter_query(echo: dict[str, Any]) -> list[tuple[str, str]]:
    """`Filters.echo()` -> query items (lists joined by commas)."""
    return [(k, ",".join(v) if isinstance(v, list) else str(v)) for k, v in echo.items()]


def source_line(lang: Lang, result: StatsResult) -> str:
    years = result.years
    y_from = result.filters.get("year_from", years[0] if years else None)
    y_to = result.filters.get("year_to", years[1] if years else None)
    span = f"{y_from}–{y_to}" if y_from is not None else lang.gettext("all years")
    return lang.gettext(
        "Identified cases, not prevalence. Release %(release)s; contributors: %(contributors)s; "
        "years of registration: %(years)s."
    ) % {
        "release": result.release,
        "contributors": ", ".join(str(c) for c in result.contributors) or "–",
        "years": span,
    }


def _context(request: Request, extra_keys: tuple[str, ...] = ()) -> Ctx:
    q = request.query_params
    lang = Lang(pick_lang(q.get("lang")))
    views: ReleaseViews = request.app.state.release_views
    release_param = q.get("release") or None
    view = views.view(release_param)
    query = [(k, v) for k in FILTER_KEYS for v in q.getlist(k) if v.strip()]
    raw: dict[str, Any] = {}
    for k, v in query:
        raw.setdefault(k, []).append(v)
    raw = {k: (v[-1] if k in ("year_from", "year_to") else v) for k, v in raw.items()}
    filters = Filters.from_mapping(raw)
    check_years(lang, filters, view.manifest.years)
    extra = {k: q.get(k, "") for k in extra_keys if q.get(k)}
    ctx = Ctx(request, lang, view, release_param, query, filters, extra)
    stats(view, [], filters)  # checks the filter values (StatsError names the allowed ones)
    return ctx


def check_years(lang: Lang, filters: Filters, years: tuple[int, int] | None) -> None:
    """Refuse a year filter outside the release's years of registration, or a first year after the last
    (FilterRefused, in the page's language) rather than showing an impossible range."""
    y_from, y_to = filters.year_from, filters.year_to
    if y_from is not None and y_to is not None and y_from > y_to:
        raise FilterRefused(
            lang.gettext("The first year (%(from)s) is after the last year (%(to)s).")
            % {"from": y_from, "to": y_to}
        )
    if not years:
        return
    first, last = years
    for y in (y_from, y_to):
        if y is not None and not first <= y <= last:
            raise FilterRefused(
                lang.gettext(
                    "The year %(year)s is outside this release: its years of registration are "
                    "%(first)s to %(last)s."
                )
                % {"year": y, "first": first, "last": last}
            )


def _page(
    request: Request,
    template: str,
    title: str,
    build: Callable[[Ctx], dict[str, Any]],
    extra: tuple[str, ...] = (),
    *,
    with_filters: bool = True,
) -> Response:
    lang = Lang(pick_lang(request.query_params.get("lang")))
    try:
        ctx = _context(request, extra)
    except FilterRefused as exc:
        return _error(lang, 400, lang.gettext("These filters cannot be applied."), str(exc))
    except StatsError as exc:
        return _error(lang, 400, lang.gettext("These filters cannot be applied."), exc.message)
    except DisclosureError as exc:  # not public, not there, or withdrawn (410, as in the API)
        return _error(lang, status_for(exc), lang.gettext("No data available."), exc.message)
    try:
        data = build(ctx)
    except PageNotFound as exc:
        return _error(lang, 404, lang.gettext("Page not found"), str(exc), ctx=ctx)
    page_title = data.pop("page_title", None) or lang.gettext(title)
    page = common(ctx)
    if not with_filters:
        page["filters"] = []
    html = render_page(template, ctx=ctx, title=page_title, page=page, **data)
    return HTMLResponse(html)


def _error(lang: Lang, status: int, heading: str, message: str, ctx: Ctx | None = None) -> Response:
    html = render_page(
        "error.html",
        ctx=ctx,
        lang=lang,
        title=heading,
        heading=heading,
        message=message,
        page={"nav": [(p, lang.gettext(t), False) for p, t in NAV], "langs": [], "filters": []},
        home="/" + ("?lang=" + lang.code if lang.code != "en" else ""),
    )
    return HTMLResponse(html, status_code=status)


def not_found_page(request: Request) -> Response:
    """The 404 page of an unknown address asked for by a browser, in the site's layout and `?lang=`."""
    lang = Lang(pick_lang(request.query_params.get("lang")))
    message = lang.gettext("There is no page at %(path)s.") % {"path": request.url.path}
    return _error(lang, 404, lang.gettext("Page not found"), message)


def common(ctx: Ctx) -> dict[str, Any]:
    """Navigation, language switcher, filter form and release facts shared by every page."""
    lang = ctx.lang
    path = ctx.request.url.path
    nav = [(ctx.url(p), lang.gettext(t), path == p) for p, t in NAV]
    langs = [(code, LANG_NAMES[code], ctx.lang_url(code), code == lang.code) for code in LANGS]
    manifest = ctx.view.manifest
    years = list(manifest.years or ())
    report = None
    with contextlib.suppress(DisclosureError):
        ctx.view.file("report.html")
        report = file_url(ctx.view.release_id, "report.html")
    return {
        "nav": nav,
        "langs": langs,
        "filters": filter_form(ctx),
        "years": years,
        "contributors": list(manifest.contributors),
        "release": ctx.view.release_id,
        "published": release_date(lang, manifest.created_at),
        "threshold": ctx.view.threshold,
        "report": report,
        "reset": ctx.url(path, keep_filters=False),
        "signin": getattr(ctx.request.app.state, "hub", None) is not None,  # the portal is served too
        "extra": ctx.extra,
    }


@dataclass
class Select:
    name: str
    label: str
    options: list[tuple[str, str, bool]]


def filter_form(ctx: Ctx) -> list[Select]:
    lang = ctx.lang
    chosen: dict[str, set[str]] = {}
    for k, v in ctx.query:
        chosen.setdefault(k, set()).update(x.strip() for x in v.split(","))
    years = [y for y in published_values(ctx.view, YEAR) if y != UNKNOWN]
    out = [
        Select(
            "year_from",
            lang.gettext("From year"),
            [(y, y, y in chosen.get("year_from", set())) for y in years],
        ),
        Select(
            "year_to", lang.gettext("To year"), [(y, y, y in chosen.get("year_to", set())) for y in years]
        ),
    ]
    for param, dim in FORM_FILTERS:
        if param in ctx.hide:
            continue
        values = [v for v in published_values(ctx.view, dim) if v != ANY_INFO]
        opts = sorted(
            ((v, lang.value(dim, v), v in chosen.get(param, set())) for v in values),
            key=lambda o: (
                o[0] == UNKNOWN,
                o[1].casefold() if dim in ("citizenship", "CountryOfExploitation") else "",
            ),
        )
        out.append(Select(param, lang.dim(dim), opts))
    return out


# --- pages ------------------------------------------------------------------------------------------


def _kpis(ctx: Ctx, filters: Filters) -> list[tuple[str, str, str, str]]:
    """Headline figures: (label, text, machine value, interval note) — cases, countries, contributors,
    years. A release whose records are linked to persons heads them with its persons (the manifest's
    estimate, read through the gate) and its case records (the model's records, as everywhere); the
    persons only when nothing is filtered, as they are estimated for the whole release (a person's
    records may fall on both sides of a filter)."""
    lang = ctx.lang
    total = stats(ctx.view, [], filters).cells[0]
    population = ctx.view.population
    if population is None or not population.linked:
        out = [_estimate_kpi(ctx, lang.gettext("Identified cases"), total)]
    else:
        out = []
        if population.persons is not None and filters == Filters():
            note = lang.gettext("Case records linked to one person, counted once")
            if population.persons_lower is not None and population.persons_upper is not None:
                note += "; " + lang.gettext("90 %% interval: %(interval)s") % {
                    "interval": interval_text(lang, population.persons_lower, population.persons_upper)
                }
            text = count_text(lang, population.persons, ctx.view.threshold)
            out.append((lang.gettext("Identified persons"), text, str(population.persons), note))
        out.append(_estimate_kpi(ctx, lang.gettext("Case records"), total))
    for dim, label in (
        ("citizenship", N_("Countries of citizenship")),
        ("CountryOfExploitation", N_("Countries of exploitation")),
    ):
        r = ctx.stats([dim], filters)
        if isinstance(r, str):
            out.append((lang.gettext(label), "–", "", ""))
        else:
            n = sum(1 for c in r.cells if c[dim] != UNKNOWN and c["estimate"] > 0)
            out.append((lang.gettext(label), lang.int(n), str(n), ""))
    manifest = ctx.view.manifest
    contributors = manifest.contributors
    n = len(contributors)
    out.append(
        (lang.ngettext("Contributing organisation", "Contributing organisations", n), lang.int(n), str(n), "")
    )
    years = manifest.years or ()
    y_from = filters.year_from or (years[0] if years else None)
    y_to = filters.year_to or (years[1] if years else None)
    out.append((lang.gettext("Years of registration"), f"{y_from}–{y_to}" if y_from else "–", "", ""))
    return out


def _estimate_kpi(ctx: Ctx, label: str, cell: dict[str, Any]) -> tuple[str, str, str, str]:
    """A headline estimate: its text ("fewer than N" below the threshold), value and interval note."""
    lang = ctx.lang
    est = int(cell["estimate"])
    note = lang.gettext("90 %% interval: %(interval)s") % {
        "interval": interval_text(lang, int(cell["lower"]), int(cell["upper"]))
    }
    return (label, count_text(lang, est, ctx.view.threshold), str(est), note)


def _trend(ctx: Ctx, filters: Filters, pid: str = "trend") -> Panel:
    lang = ctx.lang
    # the chart's years: the release's (those whose estimates reach the display threshold, as the key
    # figures say), narrowed by a year filter; every year in between keeps its place on the axis
    first, last = ctx.view.manifest.years or (None, None)
    span = (filters.year_from or first, filters.year_to or last)
    years = (span[0], span[1]) if span[0] is not None and span[1] is not None else None
    p = ctx.panel(
        pid,
        N_("Cases by year of registration and type of exploitation"),
        [YEAR, "typeOfExploit"],
        filters,
        lambda p, r: two_dim_panel(p, r, lang, kind="line", years=years),
    )
    if p.error:  # e.g. a filter with no year x exploitation table: fall back to the yearly total
        p = ctx.panel(
            pid,
            N_("Cases by year of registration"),
            [YEAR],
            filters,
            lambda p, r: bar_panel(p, r, lang, by_value=False),
        )
    return p


def _known(result: StatsResult | str, dim: str) -> int:
    """Cases whose ``dim`` is known (-1: no answer)."""
    if isinstance(result, str):
        return -1
    return sum(int(c["estimate"]) for c in result.cells if c[dim] != UNKNOWN)


def _minors_panel(ctx: Ctx, filters: Filters, title: str) -> Panel:
    """Minors and adults from the field that carries them for more cases: majority status at registration,
    or the age band (the standard's bands under 18 are minors; CTDC files record age bands, not majority
    status). Each group is one `stats()` answer over its bands, with its own interval."""
    lang = ctx.lang
    status = ctx.stats(["majorityStatus"], filters)
    ages = ctx.stats(["ageBroad"], filters)
    if isinstance(ages, str) or _known(status, "majorityStatus") >= _known(ages, "ageBroad"):
        return ctx.panel(
            "minors", title, ["majorityStatus"], filters, lambda p, r: bar_panel(p, r, lang, by_value=False)
        )
    codes = list(dict.fromkeys(c["ageBroad"] for c in ages.cells))
    minors = set(load_standard().minor_age_bands())
    groups = {
        "Minor": [b for b in codes if b in minors],
        "Adult": [b for b in codes if b not in minors and b != UNKNOWN],
        UNKNOWN: [b for b in codes if b == UNKNOWN],
    }
    cells = []
    sources: dict[str, str] = {}  # each group's own query: the bands it sums
    for value, bands in groups.items():
        if not bands:
            continue
        r = ctx.stats([], replace(filters, ageBroad=tuple(bands)))
        if isinstance(r, str):
            continue
        c = r.cells[0]
        cells.append(
            {"majorityStatus": value, "estimate": c["estimate"], "lower": c["lower"], "upper": c["upper"]}
        )
        sources[value] = csv_url(r.dims, filter_query(r.filters), r.release)
    p = Panel("minors", lang.gettext(title), ["ageBroad"])
    p.csv_url = csv_url(ages.dims, filter_query(ages.filters), ages.release)  # the bands it is made of
    p.source = source_line(lang, ages)
    p = bar_panel(
        p, replace(ages, dims=["majorityStatus"], cells=cells), lang, by_value=False, source_dim="ageBroad"
    )
    for row, c in zip(p.rows, cells, strict=False):
        row[1].source = sources[c["majorityStatus"]]
    p.notes.insert(
        0,
        lang.gettext(
            "From the age band at registration (bands under 18 are minors): majority status is known for "
            "fewer cases."
        ),
    )
    return p


def _profile_panels(ctx: Ctx, filters: Filters) -> list[Panel]:
    lang = ctx.lang
    out = []
    for pid, title, dims, kind in PROFILE:
        if pid == "minors":
            out.append(_minors_panel(ctx, filters, title))
            continue

        def build(p: Panel, r: StatsResult, kind: str = kind) -> Panel:
            if kind == "stacked":
                return two_dim_panel(p, r, lang, kind="stacked")
            return bar_panel(p, r, lang, family=kind == "family", by_value=kind == "family")

        out.append(ctx.panel(pid, title, list(dims), filters, build))
    return out


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    def build(ctx: Ctx) -> dict[str, Any]:
        lang = ctx.lang
        region = ctx.panel(
            "regions",
            N_("Cases by region of exploitation"),
            ["exploitation_region"],
            None,
            lambda p, r: bar_panel(
                p, r, lang, href=lambda v: None if v == UNKNOWN else ctx.url(f"/region/{v}")
            ),
        )
        return {"kpis": _kpis(ctx, ctx.filters), "panels": [_trend(ctx, ctx.filters), region]}

    return _page(request, "overview.html", N_("Overview"), build)


@router.get("/map", response_class=HTMLResponse)
def world_map(request: Request) -> Response:
    def build(ctx: Ctx) -> dict[str, Any]:
        lang = ctx.lang
        by = "citizenship" if ctx.extra.get("by") == "citizenship" else "exploitation"
        dim = "citizenship" if by == "citizenship" else "CountryOfExploitation"
        side = "citizenship" if by == "citizenship" else None
        title = (
            N_("Cases by country of citizenship")
            if by == "citizenship"
            else N_("Cases by country of exploitation")
        )

        def href(iso3: str) -> str:
            return ctx.url(f"/country/{iso3}", by=None, side=side)

        def make(p: Panel, r: StatsResult) -> Panel:
            cells = {c[dim]: c for c in r.cells if c[dim] != UNKNOWN}
            threshold = r.threshold

            def describe(iso: str, n: int | None) -> str:
                c = cells.get(iso)
                if c is None or not n:
                    return f"{lang.value(dim, iso)}: " + lang.gettext("no case in the estimates")
                return lang.gettext("%(place)s: %(n)s (90 %% interval %(interval)s)") % {
                    "place": lang.value(dim, iso),
                    "n": count_text(lang, int(c["estimate"]), threshold),
                    "interval": interval_text(lang, int(c["lower"]), int(c["upper"])),
                }

            svg, _legend = geometry.world_map_svg(
                {iso: int(c["estimate"]) for iso, c in cells.items()},
                below={iso for iso, c in cells.items() if c["below_threshold"]},
                href=href,
                describe=describe,
                legend_labels={
                    "below": fewer_than(lang, threshold),
                    "none": lang.gettext("no case in the estimates"),
                },
                fmt=lang.int,
                title=lang.gettext(title),
                lowest=threshold,
            )
            p = bar_panel(p, r, lang, href=lambda v: None if v == UNKNOWN else href(v))
            p.img = None
            p.raw_html = svg
            p.notes = [
                lang.gettext(
                    "The palest countries have an estimate below %(n)s. Select a country to open its page; "
                    "hover over it for its estimate and 90 %% interval."
                )
                % {"n": lang.int(threshold)}
            ]
            return p

        toggle = [
            (ctx.url("/map", by=None), lang.gettext("Country of exploitation"), by == "exploitation"),
            (ctx.url("/map", by="citizenship"), lang.gettext("Country of citizenship"), by == "citizenship"),
        ]
        return {"panels": [ctx.panel("map", title, [dim], None, make)], "toggle": toggle}

    return _page(request, "map.html", N_("Map"), build, ("by",))


@router.get("/flows", response_class=HTMLResponse)
def flows(request: Request) -> Response:
    def build(ctx: Ctx) -> dict[str, Any]:
        lang = ctx.lang
        sub = ctx.extra.get("level") == "subregion"
        dims = (
            ["citizenship_subregion", "exploitation_subregion"]
            if sub
            else ["citizenship_region", "exploitation_region"]
        )
        p = ctx.panel(
            "flows",
            N_("From subregion of citizenship to subregion of exploitation")
            if sub
            else N_("From region of citizenship to region of exploitation"),
            dims,
            None,
            lambda p, r: two_dim_panel(p, r, lang, kind="heatmap"),
        )
        if not p.error:
            p.notes.insert(
                0,
                lang.gettext(
                    "Each row is a region of citizenship, each column a region of exploitation; a cell "
                    "estimates the cases recorded with both."
                ),
            )
        toggle = [
            (ctx.url("/flows", level=None), lang.gettext("Regions"), not sub),
            (ctx.url("/flows", level="subregion"), lang.gettext("Subregions"), sub),
        ]
        return {
            "panels": [*_country_flows(ctx), p],
            "toggle": toggle,
            "kpis": _flow_kpis(ctx, dims),
            "hint": not (ctx.filters.exploitation_country or ctx.filters.citizenship),
        }

    return _page(request, "flows.html", N_("Flows"), build, ("level",))


def _country_flows(ctx: Ctx) -> list[Panel]:
    """Country to country for a selected country (one country filter): where the cases exploited there
    came from, or where its citizens were exploited; largest first, each country linked to its page."""
    lang, f = ctx.lang, ctx.filters
    out = []
    for param, dim, other, title in (
        (
            "exploitation_country",
            "CountryOfExploitation",
            "citizenship",
            N_("Countries of citizenship of the cases exploited in %(place)s"),
        ),
        (
            "citizenship",
            "citizenship",
            "CountryOfExploitation",
            N_("Countries where citizens of %(place)s were exploited"),
        ),
    ):
        chosen = getattr(f, param)
        if len(chosen) != 1:
            continue
        side = "citizenship" if other == "citizenship" else None

        def build(p: Panel, r: StatsResult, side: str | None = side) -> Panel:
            def href(v: str) -> str | None:
                return None if v == UNKNOWN else ctx.url(f"/country/{v}", keep_filters=False, side=side)

            return bar_panel(p, r, lang, href=href, limit=TOP_COUNTRIES)

        p = ctx.panel(f"from-{param}", title, [other], f, build)
        p.title = lang.gettext(title) % {"place": lang.value(dim, chosen[0])}
        out.append(p)
    return out


def _flow_kpis(ctx: Ctx, dims: list[str]) -> list[tuple[str, str, str, str]]:
    """Headlines of the flows: the largest flow, and the share of cases exploited outside their region
    (or subregion) of citizenship, among the cases whose two places are known."""
    lang = ctx.lang
    r = ctx.stats(dims)
    if isinstance(r, str):
        return []
    src, dst = dims
    known = [c for c in r.cells if UNKNOWN not in (c[src], c[dst])]
    if not known:
        return []
    top = max(known, key=lambda c: int(c["estimate"]))
    label = lang.gettext("Largest flow: %(from)s → %(to)s") % {
        "from": lang.value(src, top[src]),
        "to": lang.value(dst, top[dst]),
    }
    out = [_estimate_kpi(ctx, label, top)]
    both = sum(int(c["estimate"]) for c in known)
    away = sum(int(c["estimate"]) for c in known if c[src] != c[dst])
    if both >= ctx.view.threshold:
        out.append(
            (
                lang.gettext("Exploited outside their region of citizenship")
                if src == "citizenship_region"
                else lang.gettext("Exploited outside their subregion of citizenship"),
                lang.pct(away / both),
                f"{away / both:.4f}",
                lang.ngettext(
                    "of the %(n)s case whose two places are known (estimates)",
                    "of the %(n)s cases whose two places are known (estimates)",
                    both,
                )
                % {"n": lang.int(both)},
            )
        )
    return out


@router.get("/profile", response_class=HTMLResponse)
def profile(request: Request) -> Response:
    def build(ctx: Ctx) -> dict[str, Any]:
        return {"panels": _profile_panels(ctx, ctx.filters)}

    return _page(request, "profile.html", N_("Victim profile"), build)


def _scoped(ctx: Ctx, side: str, param: str, value: str) -> Filters:
    """The user's filters with this page's place replacing any place filter of the same side."""
    changes: dict[str, Any] = {k: () for k in SIDE_FILTERS[side]}
    changes[param] = (value,)
    return replace(ctx.filters, **changes)


def _place_page(ctx: Ctx, kind: str, name: str, label: str, param_of: dict[str, str]) -> dict[str, Any]:
    lang = ctx.lang
    side = "citizenship" if ctx.extra.get("side") == "citizenship" else "exploitation"
    other = "exploitation" if side == "citizenship" else "citizenship"
    filters = _scoped(ctx, side, param_of[side], name)
    ctx.hide = set(SIDE_FILTERS[side])
    if kind == "country":
        counter_dim = "CountryOfExploitation" if side == "citizenship" else "citizenship"
        counter_title = (
            N_("Countries of exploitation of these cases")
            if side == "citizenship"
            else N_("Countries of citizenship of these cases")
        )
    else:
        counter_dim = f"{other}_region"
        counter_title = (
            N_("Regions of exploitation of these cases")
            if side == "citizenship"
            else N_("Regions of citizenship of these cases")
        )

    def counter_href(v: str) -> str | None:
        if v == UNKNOWN:
            return None
        if kind == "country":
            return ctx.url(f"/country/{v}", side=None if other == "exploitation" else "citizenship")
        return ctx.url(f"/region/{v}", side=None if other == "exploitation" else "citizenship")

    panels = [
        _trend(ctx, filters),
        ctx.panel(
            "counterpart",
            counter_title,
            [counter_dim],
            filters,
            lambda p, r: bar_panel(p, r, lang, href=counter_href, limit=15),
        ),
        *_profile_panels(ctx, filters),
    ]
    heading = (
        lang.gettext("Cases exploited in %(place)s")
        if side == "exploitation"
        else lang.gettext("Cases of citizens of %(place)s")
    ) % {"place": label}
    here = ctx.request.url.path
    toggle = [
        (ctx.url(here, side=None), lang.gettext("Exploited here"), side == "exploitation"),
        (ctx.url(here, side="citizenship"), lang.gettext("Citizens of here"), side == "citizenship"),
    ]
    return {
        "page_title": heading,
        "heading": heading,
        "kpis": _kpis(ctx, filters)[:1],
        "panels": panels,
        "toggle": toggle,
        "kind": kind,
    }


@router.get("/country/{iso3}", response_class=HTMLResponse)
def country(request: Request, iso3: str) -> Response:
    def build(ctx: Ctx) -> dict[str, Any]:
        code = iso3.upper()
        c = resolver().get(code)
        if c is None or code != iso3:
            raise PageNotFound(
                ctx.lang.gettext("There is no country with the code %(code)s.") % {"code": iso3}
            )
        params = {"exploitation": "exploitation_country", "citizenship": "citizenship"}
        return _place_page(ctx, "country", code, c.name(ctx.lang.code), params)

    return _page(request, "place.html", N_("Country"), build, ("side",))


@router.get("/region/{name}", response_class=HTMLResponse)
def region(request: Request, name: str) -> Response:
    def build(ctx: Ctx) -> dict[str, Any]:
        level = next(
            (
                lv
                for lv in ("region", "subregion")
                if name in published_values(ctx.view, f"exploitation_{lv}")
                or name in published_values(ctx.view, f"citizenship_{lv}")
            ),
            None,
        )
        if level is None or name == UNKNOWN:
            raise PageNotFound(ctx.lang.gettext("There is no region called %(name)s.") % {"name": name})
        params = {"exploitation": f"exploitation_{level}", "citizenship": f"citizenship_{level}"}
        return _place_page(ctx, "region", name, ctx.lang.value(f"exploitation_{level}", name), params)

    return _page(request, "place.html", N_("Region"), build, ("side",))
