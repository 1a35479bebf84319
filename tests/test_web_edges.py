"""Edges of the web app reported by users: HEAD answered like GET without a body, a favicon shipped in
the package and linked from every page, an HTML 404 page for browsers at unknown addresses (JSON under
/api/), year filters outside the release refused with a message in the page's language, and singular /
plural count phrases (ngettext) in English, French and Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ctdhub.publish.app import SECURITY_HEADERS, create_app
from ctdhub.publish.web.i18n import LANGS, Lang
from ctdhub.publish.web.jinja import environment

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(demo_release: Path) -> Iterator[TestClient]:
    with TestClient(create_app(demo_release.parent)) as c:
        yield c


@pytest.fixture(scope="module")
def years(client: TestClient) -> tuple[int, int]:
    """First and last year of registration of the demo release."""
    rel = client.get("/api/v1/releases").json()
    latest = rel["releases"][-1] if isinstance(rel, dict) else rel[-1]
    first, last = latest["years"]
    return int(first), int(last)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/map?lang=fr",
        "/downloads",
        "/country/USA",
        "/api/v1/releases",
        "/api/v1/dictionary",
        "/api/v1/stats?dims=gender",
        "/static/dashboard.css",
        "/healthz",
    ],
)
def test_head_answers_like_get_without_body(client: TestClient, url: str) -> None:
    get = client.get(url)
    head = client.head(url)
    assert get.status_code == 200 and head.status_code == 200, (url, head.status_code)
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "cache-control", "content-security-policy"):
        assert head.headers.get(name) == get.headers.get(name), (url, name)


def test_head_keeps_error_statuses(client: TestClient) -> None:
    assert client.head("/country/XYZ").status_code == 404
    assert client.head("/api/v1/nowhere").status_code == 404
    assert client.head("/api/v1/nowhere").content == b""


def test_favicon_shipped_linked_and_allowed(client: TestClient) -> None:
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg") and "<script" not in icon.text
    # nothing fetched from elsewhere: the only address in the file is the SVG namespace
    assert re.findall(r"https?://[^\"']+", icon.text) == ["http://www.w3.org/2000/svg"]
    ico = client.get("/favicon.ico", follow_redirects=False)
    assert ico.status_code in (301, 308) and ico.headers["location"] == "/static/favicon.svg"
    assert client.get("/favicon.ico").content == icon.content
    # the CSP lets the page load it: img-src includes 'self'
    img_src = next(
        d for d in SECURITY_HEADERS["Content-Security-Policy"].split(";") if d.strip().startswith("img-src")
    )
    assert "'self'" in img_src.split()
    for url in ("/", "/profile?lang=es", "/downloads", "/country/XYZ", "/?gender=Bogus", "/nowhere"):
        html = client.get(url, headers=HTML).text
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html, url


def test_unknown_address_is_an_html_404_for_browsers(client: TestClient) -> None:
    r = client.get("/no/such/page", headers=HTML)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in r.text and "/no/such/page" in r.text
    assert 'href="/static/dashboard.css"' in r.text and 'class="site-header"' in r.text
    fr = client.get("/no/such/page?lang=fr", headers=HTML)
    assert fr.status_code == 404 and 'lang="fr"' in fr.text
    assert Lang("fr").gettext("Page not found") in fr.text and "Page not found" not in fr.text
    assert "Content-Security-Policy".lower() in {k.lower() for k in r.headers}


def test_unknown_address_stays_json_for_the_api_and_non_browsers(client: TestClient) -> None:
    for url, headers in (
        ("/api/v1/nowhere", HTML),
        ("/api/nowhere", HTML),
        ("/no/such/page", {"accept": "application/json"}),
        ("/no/such/page", {}),
    ):
        r = client.get(url, headers=headers)
        assert r.status_code == 404, url
        assert r.headers["content-type"].startswith("application/json"), (url, headers)
        assert r.json()["error"] == "HTTPError"


def test_year_outside_the_release_is_refused_with_a_message(
    client: TestClient, years: tuple[int, int]
) -> None:
    first, last = years
    for url in (f"/?year_from={last + 4}", f"/profile?year_to={first - 3}", f"/map?year_from={last + 1}"):
        r = client.get(url)
        assert r.status_code == 400, url
        assert r.headers["content-type"].startswith("text/html")
        assert "These filters cannot be applied." in r.text
        assert f"years of registration are {first} to {last}" in r.text
        assert not re.search(rf"{last + 4}\s*[–-]\s*{last}", r.text)
    for lang in ("fr", "es"):
        r = client.get(f"/?year_from={last + 4}&lang={lang}")
        assert r.status_code == 400 and f'lang="{lang}"' in r.text
        message = Lang(lang).gettext(
            "The year %(year)s is outside this release: its years of registration are %(first)s to %(last)s."
        ) % {"year": last + 4, "first": first, "last": last}
        assert message.replace("’", "&#39;") in r.text or message in r.text
        assert "outside this release" not in r.text


def test_first_year_after_last_is_refused(client: TestClient, years: tuple[int, int]) -> None:
    first, last = years
    r = client.get(f"/?year_from={last}&year_to={first}&lang=es")
    assert r.status_code == 400
    assert f"El primer año ({last}) es posterior al último ({first})." in r.text
    ok = client.get(f"/?year_from={first}&year_to={last}")
    assert ok.status_code == 200 and f"{first}–{last}" in ok.text


PLURALS = [
    (
        "of the %(n)s case whose two places are known (estimates)",
        "of the %(n)s cases whose two places are known (estimates)",
    ),
    ("and %(n)s more in the table", "and %(n)s more in the table"),
    (
        "The chart shows the largest one; the table lists all.",
        "The chart shows the %(n)s largest; the table lists all.",
    ),
]


@pytest.mark.parametrize("lang", LANGS)
def test_count_phrases_agree_with_the_count(lang: str) -> None:
    L = Lang(lang)
    one = L.ngettext(*PLURALS[0], 1) % {"n": 1}
    many = L.ngettext(*PLURALS[0], 2) % {"n": 2}
    assert one != many and "1" in one and "2" in many
    expect_one, expect_many = {
        "en": ("of the 1 case whose", "of the 2 cases whose"),
        "fr": ("de 1 cas dont", "des 2 cas dont"),
        "es": ("de 1 caso cuyos", "de los 2 casos cuyos"),
    }[lang]
    assert one.startswith(expect_one) and many.startswith(expect_many)
    for singular, plural in PLURALS:
        for n in (1, 2, 15):
            text = L.ngettext(singular, plural, n) % {"n": L.int(n)}
            assert "%(" not in text and text
    env = environment(lang)
    tpl = env.from_string(
        '{{ ngettext("Display threshold: %(num)s case", "Display threshold: %(num)s cases", n, num=n) }}'
    )
    expect = {
        "en": ("Display threshold: 1 case", "Display threshold: 5 cases"),
        "fr": ("Seuil d’affichage : 1 cas", "Seuil d’affichage : 5 cas"),
        "es": ("Umbral de visualización: 1 caso", "Umbral de visualización: 5 casos"),
    }[lang]
    assert (tpl.render(n=1), tpl.render(n=5)) == expect


def test_english_count_phrases(client: TestClient) -> None:
    L = Lang("en")
    assert L.ngettext(*PLURALS[0], 1) % {"n": 1} == "of the 1 case whose two places are known (estimates)"
    assert L.ngettext(*PLURALS[0], 3) % {"n": 3} == "of the 3 cases whose two places are known (estimates)"
    html = client.get("/").text
    assert re.search(r"Display threshold: \d+ cases?<|Display threshold: \d+ cases? ·", html)
    assert not re.search(r"Display threshold: 1 cases", html)


def test_chart_scripts_shipped_compressed_and_licensed(client: TestClient) -> None:
    """The charts' JavaScript comes from the package (no CDN), gzipped for phones, with its licences."""
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        r = client.get(f"/static/vendor/{name}", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert r.headers["content-type"].startswith("text/javascript")
        lic = client.get(f"/static/vendor/{name.removesuffix('.min.js')}.LICENSE.txt")
        assert lic.status_code == 200 and "Redistribution" in lic.text
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in page.headers  # pages and the API are not compressed
    assert '<script src="/static/vendor/vega-embed.min.js" defer></script>' in page.text


def test_api_docs_in_the_site_and_its_language(client: TestClient, tmp_path: Path) -> None:
    """The API documentation is a page of the site (navigation, language switcher) in `?lang=`, lists
    every endpoint of the OpenAPI document, and answers on a hub that has published no release yet."""
    spec = client.get("/api/openapi.json").json()
    fr = client.get("/api/docs?lang=fr")
    assert fr.status_code == 200 and '<html lang="fr">' in fr.text
    assert "Documentation de l" in fr.text and "Paramètre" in fr.text and 'hreflang="es"' in fr.text
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in fr.text
    assert 'href="/downloads?lang=fr"' in fr.text  # the site's navigation, in the same language
    (tmp_path / "releases").mkdir()
    with TestClient(create_app(tmp_path / "releases")) as empty:
        r = empty.get("/api/docs")
        assert r.status_code == 200 and "/api/v1/stats" in r.text
