"""The web dashboard in process (FastAPI TestClient) over a small differentially private release: every
page in English, French and Spanish, filters in the URL, page estimates and intervals equal to
/api/v1/stats, "fewer than N" only for estimates below the display threshold, a line on every page saying
the figures are differentially private estimates, any combination of filters answered, a headline from
the flows, a friendly 404, links that keep the language, nothing fetched from outside, and the chart
builders."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from conftest import DEMO_THRESHOLD
from ctdhub.publish import charts
from ctdhub.publish.app import create_app
from ctdhub.publish.web import geometry
from ctdhub.publish.web.i18n import LANGS, Lang

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

THRESHOLD = DEMO_THRESHOLD  # the shared demo release's display threshold
# "fewer than" in the three languages, and the short form used in tables and heatmaps
FEWER = re.compile(r"fewer than|moins de|menos de|<|&lt;")
PAGES = [
    "/",
    "/map",
    "/map?by=citizenship",
    "/flows",
    "/flows?level=subregion",
    "/profile",
    "/country/USA",
    "/country/USA?side=citizenship",
    "/region/Asia",
    "/region/Europe?side=citizenship",
    "/downloads",
    "/?gender=Female",
    "/profile?gender=Male&year_from=2018&year_to=2022",
    "/map?year_from=2020&year_to=2024",
]


@pytest.fixture(scope="module")
def releases(demo_release: Path) -> Path:
    """The releases directory of the shared demo release (conftest's DEMO_POLICY); read-only."""
    return demo_release.parent


@pytest.fixture(scope="module")
def client(releases: Path) -> Iterator[TestClient]:
    with TestClient(create_app(releases)) as c:
        yield c


@pytest.fixture(scope="module")
def pages(client: TestClient) -> dict[tuple[str, str], str]:
    """Every page in every language, fetched once: (url, lang) -> HTML."""
    out = {}
    for lang in LANGS:
        for url in PAGES:
            full = url if lang == "en" else url + ("&" if "?" in url else "?") + f"lang={lang}"
            r = client.get(full)
            assert r.status_code == 200, (full, r.text[:500])
            assert r.headers["content-type"].startswith("text/html")
            out[(url, lang)] = r.text
    return out


class Page(HTMLParser):
    """What the tests read from a page: tables (CSV link, count cells), KPIs, links, html lang."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self.kpis: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.country_links: list[str] = []
        self.switcher: list[str] = []
        self.html_lang = ""
        self._cell: dict[str, Any] | None = None
        self._after: dict[str, Any] | None = None  # the estimate cell whose interval cell comes next
        self._interval: str | None = None
        self._kpi: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang", "")
        elif tag == "table" and "data-csv" in a:
            self.tables.append({"csv": a["data-csv"], "dims": a["data-dims"], "cells": []})
        elif tag == "td" and "data-estimate" in a:
            self._cell = {
                "estimate": int(a["data-estimate"]),
                "lower": int(a["data-lower"]),
                "upper": int(a["data-upper"]),
                "below": a["data-below"] == "true",
                "csv": a.get("data-csv", ""),  # a cell with its own query (a group of categories)
                "text": "",
                "title": "",
            }
            self._after = None
        elif tag == "abbr" and self._cell is not None:
            self._cell["title"] = a.get("title", "")
        elif tag == "td" and self._after is not None:
            self._interval = ""
        elif tag == "dd" and "data-value" in a:
            self._kpi = [a["data-value"], ""]
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
            if "data-iso3" in a:
                self.country_links.append(a["href"])
            if "hreflang" in a:
                self.switcher.append(a["href"])

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data
        if self._interval is not None:
            self._interval += data
        if self._kpi is not None:
            self._kpi[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.tables[-1]["cells"].append(self._cell)
            self._after = self._cell
            self._cell = None
        elif tag == "td" and self._interval is not None and self._after is not None:
            self._after["interval"] = self._interval
            self._interval = self._after = None
        elif tag == "dd" and self._kpi is not None:
            self.kpis.append((self._kpi[0], self._kpi[1]))
            self._kpi = None


def as_int(text: str) -> int | None:
    """A count as displayed in any of the three languages ('1,234', '1 234', '1.234'); None if not a number."""
    digits = re.sub(r"[\s,.\u00a0\u202f]", "", text)
    return int(digits) if digits.isdigit() else None


def as_interval(text: str) -> tuple[int | None, int | None]:
    """'1,230–1,290' -> (1230, 1290)."""
    lo, _, hi = text.partition("–")
    return as_int(lo), as_int(hi)


def api_cells(client: TestClient, csv_url: str) -> list[tuple[int, int, int, bool]]:
    """The cells of the API answer behind a table's CSV link: (estimate, lower, upper, below), sorted."""
    parts = urlsplit(csv_url)
    q = [(k, "json" if k == "format" else v) for k, v in parse_qsl(parts.query)]
    body = client.get(parts.path + "?" + urlencode(q)).json()
    return sorted((c["estimate"], c["lower"], c["upper"], c["below_threshold"]) for c in body["cells"])


def assert_table_is_api(client: TestClient, t: dict[str, Any], where: object) -> None:
    """A table's estimates and intervals are the API answer behind its CSV link; a cell with a query of its
    own (a group of categories, e.g. minors from age bands) is that query's answer."""
    own = [c for c in t["cells"] if c["csv"]]
    for c in own:
        assert [(c["estimate"], c["lower"], c["upper"], c["below"])] == api_cells(client, c["csv"]), where
    if not own:
        shown = sorted((c["estimate"], c["lower"], c["upper"], c["below"]) for c in t["cells"])
        assert shown == api_cells(client, t["csv"]), (where, t["dims"])


def test_every_page_in_every_language(pages: dict[tuple[str, str], str]) -> None:
    for (url, lang), html in pages.items():
        page = Page(html)
        assert page.html_lang == lang, url
        assert 'class="skip-link" href="#main"' in html and 'id="main"' in html
        assert "not prevalence" in html or "pas la prévalence" in html or "no la prevalencia" in html
    fr, es = pages[("/", "fr")], pages[("/", "es")]
    assert "Vue d’ensemble" in fr and "Filtres" in fr
    assert "Resumen" in es and "Filtros" in es
    assert "Féminin" in pages[("/profile", "fr")] and "Femenino" in pages[("/profile", "es")]
    assert "Travail forcé" in pages[("/profile", "fr")] and "Trabajo forzoso" in pages[("/profile", "es")]
    assert "États-Unis" in pages[("/country/USA", "fr")]


def test_every_chart_has_table_csv_and_text_alternative(pages: dict[tuple[str, str], str]) -> None:
    for (url, _lang), html in pages.items():
        if url.startswith("/downloads"):
            continue
        page = Page(html)
        assert page.tables, url
        for t in page.tables:
            assert t["csv"].startswith("/api/v1/stats?") and "format=csv" in t["csv"]
        imgs = re.findall(r"<img [^>]*>", html)
        for img in imgs:
            assert 'role="img"' in img and re.search(r'alt="[^"]{10,}"', img), img
        assert "Release 0001" in html or "Publication 0001" in html or "Versión 0001" in html


def test_page_numbers_equal_api(client: TestClient, pages: dict[tuple[str, str], str]) -> None:
    """Every table's estimates and intervals are those of the API answer behind its CSV link."""
    checked = 0
    for (url, lang), html in pages.items():
        for t in Page(html).tables:
            assert_table_is_api(client, t, (url, lang))
            for c in t["cells"]:
                assert as_interval(c["interval"]) == (c["lower"], c["upper"]), (url, lang, c)
            checked += 1
    assert checked > 50


def test_fewer_than_only_below_threshold(pages: dict[tuple[str, str], str]) -> None:
    """An estimate at or above the display threshold is shown as its number, never as "fewer than"; one
    below reads "<N" with "fewer than N" (in the page's language) as its title."""
    below = 0
    for (url, lang), html in pages.items():
        page = Page(html)
        for t in page.tables:
            for c in t["cells"]:
                assert c["lower"] <= c["estimate"] <= c["upper"], (url, lang, c)
                assert c["below"] is (c["estimate"] < THRESHOLD), (url, lang, c)
                if c["below"]:
                    below += 1
                    assert as_int(c["text"].lstrip("<")) == THRESHOLD, (url, lang, c)
                    assert FEWER.search(c["title"]) and str(THRESHOLD) in c["title"], (url, lang, c)
                else:
                    assert not FEWER.search(c["text"]) and not c["title"], (url, lang, c)
                    assert as_int(c["text"]) == c["estimate"], (url, lang, c)
        for value, text in page.kpis:
            if value.isdigit() and int(value) >= THRESHOLD:
                assert not FEWER.search(text), (url, lang, text)
    assert below > 0, "the release has estimates below the threshold: they must read 'fewer than'"


def test_kpi_total_equals_api_and_filters_change_numbers(
    client: TestClient, pages: dict[tuple[str, str], str]
) -> None:
    total = int(Page(pages[("/", "en")]).kpis[0][0])
    assert total == client.get("/api/v1/stats").json()["cells"][0]["estimate"]
    female = int(Page(pages[("/?gender=Female", "en")]).kpis[0][0])
    assert female == client.get("/api/v1/stats?gender=Female").json()["cells"][0]["estimate"]
    assert 0 < female < total
    cells = client.get("/api/v1/stats?dims=CountryOfExploitation").json()["cells"]
    top = max(cells, key=lambda c: c["estimate"])
    iso = top["CountryOfExploitation"]
    shown = int(Page(client.get(f"/country/{iso}").text).kpis[0][0])
    assert shown == top["estimate"]
    # the headline carries its interval
    lo, hi = top["lower"], top["upper"]
    assert f"90 % interval: {lo:,}–{hi:,}" in client.get(f"/country/{iso}").text
    # the form's values come back selected
    assert '<option value="Female" selected>' in pages[("/?gender=Female", "en")]


def test_every_page_says_estimates_are_differentially_private(pages: dict[tuple[str, str], str]) -> None:
    words = {
        "en": "differentially private",
        "fr": "confidentialité différentielle",
        "es": "privacidad diferencial",
    }
    for (url, lang), html in pages.items():
        line = re.search(r'<p class="dp-note">(.*?)</p>', html, re.S)
        assert line and words[lang] in line.group(1), (url, lang)
        assert "90 %" in line.group(1) and "interval" in line.group(1), (url, lang)
        assert "report.html" in line.group(1), (url, lang)
        low = html.lower()
        for gone in ("suppressed", "masqué", "suprimid", "not published", "non publié", "no publicad"):
            assert gone not in low, (url, lang, gone)


def test_links_keep_language_and_filters(pages: dict[tuple[str, str], str]) -> None:
    html = pages[("/?gender=Female", "fr")]
    page = Page(html)
    nav = [h for h in page.links if h.split("?")[0] in ("/", "/map", "/flows", "/profile")]
    assert [h for h in nav if "gender=Female" not in h] == ["/?lang=fr"]  # only "clear filters"
    assert [h for h in nav if "lang=fr" not in h] == [
        "/?gender=Female",
        "/?gender=Female&lang=es",
    ]  # switcher
    switch = [h for h in page.links if "lang=es" in h]
    assert switch and all("gender=Female" in h for h in switch)
    en = [h for h in page.links if h.startswith("/?") and "lang=" not in h]
    assert en, "a link back to English"
    for (url, lang), html in pages.items():
        if lang == "fr":
            page = Page(html)
            assert len(page.switcher) == 3
            for h in page.links:
                if h.startswith("/") and not h.startswith("/api/") and h not in page.switcher:
                    assert "lang=fr" in h, (url, h)


def test_map_links_open_country_pages(client: TestClient, pages: dict[tuple[str, str], str]) -> None:
    page = Page(pages[("/map", "en")])
    assert len(page.country_links) > 10
    assert all(re.fullmatch(r"/country/[A-Z]{3}", h) for h in page.country_links)
    html = pages[("/map", "en")]
    assert "<title>" in html and "hatch" not in html and "suppressed" not in html
    # countries below the display threshold: a light class of their own, described as "fewer than 5"
    cells = client.get("/api/v1/stats?dims=CountryOfExploitation").json()["cells"]
    low = [
        c
        for c in cells
        if c["below_threshold"] and c["estimate"] > 0 and c["CountryOfExploitation"] != "Unknown"
    ]
    if low:
        assert f'fill="{geometry.BELOW_FILL}"' in html and "fewer than 5</text>" in html
    # each country's title gives its estimate and 90 % interval
    top = max((c for c in cells if c["CountryOfExploitation"] != "Unknown"), key=lambda c: c["estimate"])
    assert f"{top['estimate']:,} (90 % interval {top['lower']:,}–{top['upper']:,})" in html
    for href in page.country_links[:5]:
        assert client.get(href).status_code == 200
    cit = Page(pages[("/map?by=citizenship", "en")])
    assert all(h.endswith("?side=citizenship") for h in cit.country_links)


def test_flows_headline(client: TestClient, pages: dict[tuple[str, str], str]) -> None:
    """The flows page leads with the largest flow (citizenship region -> exploitation region), equal to
    the API's, with its interval, and the share exploited outside their region of citizenship."""
    body = client.get("/api/v1/stats?dims=citizenship_region,exploitation_region").json()
    known = [c for c in body["cells"] if "Unknown" not in (c["citizenship_region"], c["exploitation_region"])]
    top = max(known, key=lambda c: c["estimate"])
    html = pages[("/flows", "en")]
    kpis = Page(html).kpis
    assert kpis and kpis[0][0] == str(top["estimate"])
    assert f"Largest flow: {top['citizenship_region']} → {top['exploitation_region']}" in html
    assert f"90 % interval: {top['lower']:,}–{top['upper']:,}" in html
    both = sum(c["estimate"] for c in known)
    away = sum(c["estimate"] for c in known if c["citizenship_region"] != c["exploitation_region"])
    assert float(kpis[1][0]) == pytest.approx(away / both, abs=1e-4)
    assert "Exploited outside their region of citizenship" in html
    assert (
        "Flux le plus important" in pages[("/flows", "fr")]
        and "Flujo más importante" in pages[("/flows", "es")]
    )
    assert Page(pages[("/flows?level=subregion", "en")]).kpis


def test_profile_percentages_follow_the_codebook(
    client: TestClient, pages: dict[tuple[str, str], str]
) -> None:
    html = pages[("/profile", "en")]
    assert html.count("Percentages are shares of the cases with any information") == 5
    body = client.get("/api/v1/stats?dims=meansOfControl").json()
    den = next(c["estimate"] for c in body["cells"] if c["meansOfControl"] == "(any information)")
    assert f"({den:,} cases)" in html


def test_unknown_country_and_region_are_friendly_404(client: TestClient) -> None:
    for url in ("/country/XYZ", "/country/usa", "/region/Atlantis", "/country/XYZ?lang=fr"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"].startswith("text/html")
        assert "<h1>" in r.text and "href=" in r.text
    assert 'lang="fr"' in client.get("/country/XYZ?lang=fr").text
    bad = client.get("/?gender=Bogus")
    assert bad.status_code == 400 and "Bogus" in bad.text


@pytest.mark.parametrize(
    "url",
    [
        "/map?typeOfExploit=isForcedLabour&gender=Female",
        "/region/Americas?gender=Male&ageBroad=30--38",
        "/profile?exploitation_region=Asia&Datasource=Hotline&year_from=2019",
        "/flows?level=subregion&typeOfExploit=isSexualExploit&gender=Female",
        "/region/Europe?side=citizenship&typeOfExploit=isForcedLabour",
    ],
)
def test_any_combination_of_filters_is_answered(client: TestClient, url: str) -> None:
    """No single table crosses these: the page still shows estimates (from the model), equal to the API."""
    r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    assert "data-estimate" in r.text and "not published" not in r.text.lower()
    for t in Page(r.text).tables:
        assert_table_is_api(client, t, url)


def test_empty_selection_is_an_estimate_not_an_error(client: TestClient) -> None:
    r = client.get("/country/USA?gender=Male&ageBroad=9--17")
    assert r.status_code == 200
    assert "No case in the estimates for this selection." in r.text
    value, text = Page(r.text).kpis[0]
    total = client.get("/api/v1/stats?exploitation_country=USA&gender=Male&ageBroad=9--17").json()["cells"][0]
    assert int(value) == total["estimate"]
    assert (text == f"fewer than {THRESHOLD}") is (total["estimate"] < THRESHOLD)


def test_place_page_shows_every_panel(pages: dict[tuple[str, str], str]) -> None:
    html = pages[("/country/USA", "en")]
    for title in ("Means of control", "Gender and age band", "Relationship with the recruiter"):
        assert title in html
    assert len(Page(html).tables) == 9


def test_nothing_external(client: TestClient, pages: dict[tuple[str, str], str]) -> None:
    for (url, lang), html in pages.items():
        assert not re.search(r"https?://", html), (url, lang, re.findall(r"https?://\S{0,40}", html)[:3])
        # scripts: the package's own files, and JSON data blocks (chart specs) that never execute
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    css = client.get("/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert not re.search(r"https?://|@import|url\((?!#)", css.text)
    assert client.get("/static/../pages.py").status_code == 404
    assert client.get("/static/world-110m.geo.json").status_code == 200


def test_downloads_page_links_work(client: TestClient, pages: dict[tuple[str, str], str]) -> None:
    page = Page(pages[("/downloads", "en")])
    files = [h for h in page.links if h.startswith("/api/v1/")]
    assert any("CITATION.txt" in h for h in files) and any("LICENCE.txt" in h for h in files)
    assert any("report.html" in h for h in files) and "/api/v1/dictionary" in files
    for h in files[:12]:
        assert client.get(h).status_code == 200, h


def test_geometry_and_chart_builders() -> None:
    shapes = geometry.shapes()
    assert len(shapes) > 150 and {"FRA", "USA", "BRA", "CHN"} <= {s.iso3 for s in shapes}
    assert geometry.GEOJSON.stat().st_size < 1_000_000
    assert geometry.class_breaks([10, 20, 30, 40, 50]) == [10, 20, 30, 40, 50]
    assert geometry.class_breaks([7, 7, 7]) == [7] and geometry.class_breaks([]) == []
    svg, legend = geometry.world_map_svg(
        {"FRA": 12, "USA": 3, "BRA": 0},
        below={"USA"},
        href=lambda i: f"/country/{i}",
        describe=lambda i, n: f"{i}: {n}",
        legend_labels={"below": "fewer than 5", "none": "none"},
        fmt=str,
        title="t",
        lowest=5,
    )
    assert 'href="/country/FRA"' in svg and 'href="/country/USA"' in svg and 'href="/country/BRA"' not in svg
    assert f'fill="{geometry.BELOW_FILL}"' in svg and "hatch" not in svg
    assert [i.label for i in legend] == ["fewer than 5", "5–12", "none"]
    rows = [
        {"a": "x", "b": "p", "count": 12, "lo": 8, "hi": 16, "text": "12", "iv": "8–16"},
        {"a": "y", "b": "p", "count": 3, "lo": 0, "hi": 7, "text": "<5", "iv": "0–7"},
    ]
    heat = charts.heatmap_spec(
        rows, "a", "b", text="text", interval_text="iv", number_format=lambda n: f"{n}!"
    )
    assert "suppressed" not in str(heat) and "<5" in str(heat["data"]) and "8–16" in str(heat["data"])
    assert charts.render_svg(heat).startswith("<svg")
    plain = charts.heatmap_spec(rows, "a", "b", number_format=lambda n: f"{n}!")
    assert "12!" in str(plain["data"]) and "3!" in str(plain["data"])
    bars = charts.bar_spec(rows, "a", lower="lo", upper="hi", text="text", interval_text="iv")
    assert [layer["mark"]["type"] for layer in bars["layer"]] == ["bar", "rule"]
    assert {"field": "iv", "type": "nominal", "title": "90 % interval"} in bars["encoding"]["tooltip"]
    assert charts.render_svg(bars).startswith("<svg")
    line = charts.line_spec(rows, "a", color="b", lower="lo", upper="hi")
    assert [layer["mark"]["type"] for layer in line["layer"]] == ["rule", "line", "point"]
    assert charts.render_svg(line).startswith("<svg")
    assert "layer" not in charts.bar_spec(rows, "a")  # no interval, no error bars
    choro = charts.choropleth_spec(
        [{"iso3": "FRA", "count": 12}, {"iso3": "USA", "count": 3, "below_threshold": True}],
        geometry.geojson(),
    )
    states = {
        f["properties"].get("iso3"): f["properties"]["state"] for f in choro["data"]["values"]["features"]
    }
    assert states["FRA"] == "value" and states["USA"] == "below" and states["BRA"] == "none"
    assert charts.render_svg(choro).startswith("<svg")
    stacked = charts.stacked_bar_spec(rows, "a", "b", x_sort=["y", "x"], interval_text="iv")
    assert stacked["encoding"]["x"]["sort"] == ["y", "x"]
    assert stacked["encoding"]["tooltip"][-1]["field"] == "iv"


def test_catalogues_complete_and_compiled() -> None:
    tool = Path(__file__).resolve().parents[1] / "tools" / "update_catalogues.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_number_formats() -> None:
    assert Lang("en").int(12345) == "12,345"
    assert Lang("fr").int(12345).replace("\u202f", " ") == "12 345"
    assert Lang("es").int(12345) in ("12.345", "12345")
    assert Lang("de").code == "en"


def test_a_withdrawn_release_is_gone_from_dashboard_and_api_alike(releases: Path, tmp_path: Path) -> None:
    """410 in both (the dashboard used to say 404, the API 410), and never from a cache's copy. (On a copy
    of the shared release, served and cached first, then withdrawn.)"""
    from ctdhub.release.registry import withdraw_release

    copy = tmp_path / "releases"
    shutil.copytree(releases, copy)
    with TestClient(create_app(copy)) as client:
        urls = ("/?release=0001", "/api/v1/stats?dims=gender&release=0001")
        assert [client.get(url).status_code for url in urls] == [200, 200]
        withdraw_release(copy, "0001", "test: a disclosure was found")
        page, api = (client.get(url) for url in urls)
        assert (page.status_code, api.status_code) == (410, 410)


def test_trend_line_breaks_at_a_gap_and_marks_small_estimates() -> None:
    """A year without a value keeps its place on the axis and breaks the line (never a line joined across
    it); estimates below the threshold are hollow points."""
    import re

    rows = [
        {"x": "2015", "v": 20, "below": False},
        {"x": "2016", "v": None, "below": False},
        {"x": "2017", "v": 5, "below": True},
        {"x": "2018", "v": 30, "below": False},
    ]
    spec = charts.line_spec(rows, "x", value="v", below="below")
    assert spec["layer"][0]["mark"]["invalid"] == "break-paths-show-domains"
    svg = charts.render_svg(spec)
    paths = re.findall(r'class="mark-line[^>]*>.*?d="([^"]*)"', svg, re.S)
    assert paths and paths[0].count("M") == 2  # 2015 alone, then 2017-2018: two pieces
    assert svg.count('fill="white"') >= 1  # the hollow point of 2017
    ticks = re.findall(r">(20\d\d)</text>", svg)
    assert ticks == ["2015", "2016", "2017", "2018"]


def test_series_colours_follow_the_code_not_the_label() -> None:
    """The same code has the same colour in every language and whichever other codes are present."""
    from ctdhub.publish import colours

    en = colours.scale("typeOfExploit", ["isSexualExploit", "isForcedLabour"], lambda c: c + " (en)")
    fr = colours.scale(
        "typeOfExploit", ["isForcedLabour", "isSexualExploit", "Unknown"], lambda c: c + " (fr)"
    )
    colour_en = dict(zip(en["domain"], en["range"], strict=True))
    colour_fr = dict(zip(fr["domain"], fr["range"], strict=True))
    for code in ("isSexualExploit", "isForcedLabour"):
        assert colour_en[code + " (en)"] == colour_fr[code + " (fr)"]
    assert colour_fr["Unknown (fr)"] == colours.UNKNOWN_COLOUR
    assert colours.colour("gender", "Female") != colours.colour("gender", "Male")
    # a dimension without a code list: by the sorted codes present, whatever their order
    assert colours.colour("contributor", "b", ["b", "a"]) == colours.colour("contributor", "b", ["a", "b"])


def test_minors_from_age_bands_when_majority_status_is_rarer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CTDC files record age bands, not majority status: the "Minors and adults" panel then groups the bands
    (under 18: minor), each group one stats() answer with its interval, and says where it comes from."""
    from ctdhub.publish.web import pages as pages_module
    from ctdhub.standard import load_standard

    def one(**params: str) -> dict[str, Any]:
        cell: dict[str, Any] = client.get("/api/v1/stats", params=params).json()["cells"][0]
        return cell

    bands = load_standard().minor_age_bands()
    adults = [c["ageBroad"] for c in client.get("/api/v1/stats?dims=ageBroad").json()["cells"]]
    adults = [b for b in adults if b not in bands and b != "Unknown"]
    minors, grown = one(ageBroad=",".join(bands)), one(ageBroad=",".join(adults))
    assert minors["estimate"] > 0 and grown["estimate"] > 0
    # the demo records majority status for most cases: force the age-band reading
    monkeypatch.setattr(pages_module, "_known", lambda _r, dim: 1 if dim == "ageBroad" else 0)
    html = client.get("/profile").text
    section = re.search(r'<section class="panel" id="minors".*?</section>', html, re.S)
    assert section is not None
    assert "From the age band at registration" in section.group(0)
    (table,) = Page(section.group(0)).tables
    assert table["dims"] == "ageBroad"  # its CSV link gives the bands it is made of
    cells = table["cells"]
    assert [(c["estimate"], c["lower"], c["upper"]) for c in cells[:2]] == [
        (minors["estimate"], minors["lower"], minors["upper"]),
        (grown["estimate"], grown["lower"], grown["upper"]),
    ]


def test_flows_country_to_country_for_a_selected_country(client: TestClient) -> None:
    """One country chosen: its cases' countries of citizenship (or its citizens' countries of exploitation),
    the same estimates as the API, each country linked to its page; without one, a hint says how."""
    top = max(
        (c for c in client.get("/api/v1/stats?dims=CountryOfExploitation").json()["cells"]),
        key=lambda c: c["estimate"] if c["CountryOfExploitation"] != "Unknown" else -1,
    )["CountryOfExploitation"]
    html = client.get(f"/flows?exploitation_country={top}").text
    section = re.search(r'<section class="panel" id="from-exploitation_country".*?</section>', html, re.S)
    assert section is not None and "Countries of citizenship of the cases exploited in" in section.group(0)
    (table,) = Page(section.group(0)).tables
    api = client.get(f"/api/v1/stats?dims=citizenship&exploitation_country={top}").json()["cells"]
    assert sorted(c["estimate"] for c in table["cells"]) == sorted(c["estimate"] for c in api)
    assert "side=citizenship" in section.group(0)  # origins link to the citizens' side of a country page
    assert "Choose one country" not in html
    plain = client.get("/flows").text
    assert "Choose one country" in plain and 'id="from-' not in plain
    sub = client.get("/flows?level=subregion").text
    assert "From subregion of citizenship to subregion of exploitation" in sub


def test_briefings_and_dashboard_share_one_label_per_code() -> None:
    """One language layer for categories: a briefing labels every code exactly as the dashboard does."""
    from ctdhub.geo import resolver
    from ctdhub.publish.briefing.i18n import Language
    from ctdhub.publish.web.i18n import _value_labels

    regions = {str(r["un_region"]) for r in resolver().region_rows() if r.get("un_region")}
    for code in LANGS:
        web, briefing = Lang(code), Language(code, 10)
        for dim, labels in _value_labels().items():
            for value in labels:
                assert briefing.label(value) == web.value(dim, value), (code, dim, value)
        for region in regions:
            assert briefing.label(region) == web.value("exploitation_region", region), (code, region)
        for iso3 in ("FRA", "USA", "MEX"):
            assert briefing.label(iso3) == web.value("citizenship", iso3)
        assert briefing.label("Unknown") == web.value("gender", "Unknown")
