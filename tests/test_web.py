"""The web dashboard in process (FastAPI TestClient) over a small release: every page in English, French
and Spanish, filters in the URL, page numbers equal to /api/v1/stats, no count from 1 to threshold − 1,
a friendly 404, links that keep the language, nothing fetched from outside, and the chart builders."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
pytest.importorskip("vl_convert")

from fastapi.testclient import TestClient

from ctdhub.demo.generate import generate
from ctdhub.ingest import ingest_file
from ctdhub.publish import charts
from ctdhub.publish.app import create_app
from ctdhub.publish.web import geometry
from ctdhub.publish.web.i18n import LANGS, Lang
from ctdhub.release.create import create_release
from ctdhub.store import init_store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

POLICY = (
    "policy: t\nkanon: {k: 5}\naggregates: {threshold: 5}\nsynthetic: {seed: 1}\nformats: [csv, parquet]\n"
)
THRESHOLD = 5
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
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("web")
    hub, _ = init_store(base / "hub")
    for f in generate(base / "files", 3_000, seed=5):
        ingest_file(hub, f.path, f.contributor, f.spec)
    policy = base / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    create_release(hub, policy)
    return hub.releases_dir


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
        self._kpi: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang", "")
        elif tag == "table" and "data-csv" in a:
            self.tables.append({"csv": a["data-csv"], "dims": a["data-dims"], "cells": []})
        elif tag == "td" and "data-count" in a:
            self._cell = {"count": a["data-count"], "text": ""}
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
        if self._kpi is not None:
            self._kpi[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.tables[-1]["cells"].append(self._cell)
            self._cell = None
        elif tag == "dd" and self._kpi is not None:
            self.kpis.append((self._kpi[0], self._kpi[1]))
            self._kpi = None


def as_int(text: str) -> int | None:
    """A count as displayed in any of the three languages ('1,234', '1 234', '1.234'); None if not a number."""
    digits = re.sub(r"[\s,.\u00a0\u202f]", "", text)
    return int(digits) if digits.isdigit() else None


def api_counts(client: TestClient, csv_url: str) -> list[int | None]:
    parts = urlsplit(csv_url)
    q = [(k, "json" if k == "format" else v) for k, v in parse_qsl(parts.query)]
    body = client.get(parts.path + "?" + urlencode(q)).json()
    return sorted((c["count"] for c in body["cells"]), key=lambda n: (n is None, n or 0))


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
    checked = 0
    for (url, lang), html in pages.items():
        for t in Page(html).tables:
            shown = sorted(
                (int(c["count"]) if c["count"] else None for c in t["cells"]),
                key=lambda n: (n is None, n or 0),
            )
            assert shown == api_counts(client, t["csv"]), (url, lang, t["dims"])
            for c in t["cells"]:
                if c["count"]:
                    assert as_int(c["text"]) == int(c["count"]), (url, lang, c)
            checked += 1
    assert checked > 50


def test_kpi_total_equals_api_and_filters_change_numbers(
    client: TestClient, pages: dict[tuple[str, str], str]
) -> None:
    total = int(Page(pages[("/", "en")]).kpis[0][0])
    assert total == client.get("/api/v1/stats").json()["cells"][0]["count"]
    female = int(Page(pages[("/?gender=Female", "en")]).kpis[0][0])
    assert female == client.get("/api/v1/stats?gender=Female").json()["cells"][0]["count"]
    assert 0 < female < total
    cells = client.get("/api/v1/stats?dims=CountryOfExploitation").json()["cells"]
    top = max((c for c in cells if c["count"]), key=lambda c: c["count"])
    iso = top["CountryOfExploitation"]
    shown = int(Page(client.get(f"/country/{iso}").text).kpis[0][0])
    assert shown == top["count"]
    # the form's values come back selected
    assert '<option value="Female" selected>' in pages[("/?gender=Female", "en")]


def test_no_count_below_threshold(pages: dict[tuple[str, str], str]) -> None:
    for (url, lang), html in pages.items():
        page = Page(html)
        for t in page.tables:
            for c in t["cells"]:
                n = as_int(c["text"])
                raw = int(c["count"]) if c["count"] else None
                for v in (n, raw):
                    assert v is None or v == 0 or v >= THRESHOLD, (url, lang, c)
                if not c["count"]:
                    assert as_int(c["text"]) is None  # suppressed shown as a word, never a number
        # the first KPI is the count of cases (the others count countries, contributors, years)
        first = page.kpis[0][0] if page.kpis else ""
        assert not first or int(first) == 0 or int(first) >= THRESHOLD


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
    assert "<title>" in html and "suppressed" in html
    for href in page.country_links[:5]:
        assert client.get(href).status_code == 200
    cit = Page(pages[("/map?by=citizenship", "en")])
    assert all(h.endswith("?side=citizenship") for h in cit.country_links)


def test_profile_percentages_follow_the_codebook(
    client: TestClient, pages: dict[tuple[str, str], str]
) -> None:
    html = pages[("/profile", "en")]
    assert html.count("Percentages are shares of the cases with any information") == 5
    body = client.get("/api/v1/stats?dims=meansOfControl").json()
    den = next(c["count"] for c in body["cells"] if c["meansOfControl"] == "(any information)")
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


def test_unpublished_combination_is_listed_not_computed(
    client: TestClient, pages: dict[tuple[str, str], str]
) -> None:
    html = pages[("/country/USA", "en")]
    assert "Not published at this level" in html and "Means of control" in html
    # no table crosses country of exploitation, type of exploitation and gender: said, not computed
    r = client.get("/map?typeOfExploit=isForcedLabour&gender=Female")
    assert r.status_code == 200 and "Not published for this selection of filters." in r.text
    assert "data-count" not in r.text


def test_nothing_external(client: TestClient, pages: dict[tuple[str, str], str]) -> None:
    for (url, lang), html in pages.items():
        assert not re.search(r"https?://", html), (url, lang, re.findall(r"https?://\S{0,40}", html)[:3])
        assert "<script" not in html or 'src="/static/' in html
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
        {"FRA": 12, "USA": None},
        href=lambda i: f"/country/{i}",
        describe=lambda i, n: f"{i}: {n}",
        legend_labels={"suppressed": "suppressed", "none": "none"},
        fmt=str,
        title="t",
        lowest=5,
    )
    assert 'href="/country/FRA"' in svg and 'href="/country/USA"' in svg and "url(#hatch)" in svg
    assert legend[0].label == "5–12" and legend[-2].label == "suppressed"
    rows = [{"a": "x", "b": "p", "count": 12}, {"a": "y", "b": "p", "count": None}]
    heat = charts.heatmap_spec(rows, "a", "b", number_format=lambda n: f"{n}!")
    assert "suppressed" in heat["description"] and "12!" in str(heat["data"])
    assert charts.render_svg(heat).startswith("<svg")
    choro = charts.choropleth_spec([{"iso3": "FRA", "count": 12}], geometry.geojson())
    assert charts.render_svg(choro).startswith("<svg")
    stacked = charts.stacked_bar_spec(rows, "a", "b", x_sort=["y", "x"])
    assert stacked["encoding"]["x"]["sort"] == ["y", "x"]


def test_catalogues_complete_and_compiled() -> None:
    tool = Path(__file__).resolve().parents[1] / "tools" / "update_catalogues.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_number_formats() -> None:
    assert Lang("en").int(12345) == "12,345"
    assert Lang("fr").int(12345).replace("\u202f", " ") == "12 345"
    assert Lang("es").int(12345) in ("12.345", "12345")
    assert Lang("de").code == "en"
