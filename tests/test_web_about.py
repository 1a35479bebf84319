"""The about / methods page, the release date in every footer, and the downloads page (file sizes, titles
in the page's language, never a raw field name), in English, French and Spanish; plural forms right
("1 contributing organisation", never "1 contributing organisations"). Every figure of the about page
comes from the release manifest: a copy of the demo release with another manifest shows other figures."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi.testclient import TestClient

from ctdhub.publish.app import create_app
from ctdhub.publish.web.formats import file_size, release_date, small_number
from ctdhub.publish.web.i18n import LANGS, Lang
from ctdhub.publish.web.pages import NAV
from ctdhub.release.manifest import ReleaseManifest, load_manifest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PAGES = ["/", "/map", "/flows", "/profile", "/country/USA", "/region/Asia", "/downloads", "/about"]
RELEASE_WORD = {"en": "Release", "fr": "Publication", "es": "Versión"}
DATE_LOCALE = {"en": "en_GB", "fr": "fr", "es": "es"}
# a dimension's field name: camelCase (yearOfRegistration, CountryOfExploitation) or snake_case
FIELD_NAME = re.compile(r"\b[a-z]+[A-Z][a-z]+\w*|\b[A-Z][a-z]+Of[A-Z]\w*|\b[a-z]+_[a-z_]+\b")
# "1 <plural noun>" in the three languages, as it must never read
WRONG_SINGULAR = re.compile(
    r"(?<![\d.,\u202f\u00a0])(?<!\d )1\s+(contributing organisations|organisations contributrices|"
    r"organizaciones contribuyentes|releases|publications|versiones|records|dossiers|registros|bytes|octets|"
    r"more releases)\b"
)


@pytest.fixture(scope="module")
def client(demo_release: Path) -> Iterator[TestClient]:
    with TestClient(create_app(demo_release.parent)) as c:
        yield c


@pytest.fixture(scope="module")
def manifest(demo_release: Path) -> ReleaseManifest:
    return load_manifest(demo_release)


def get(client: TestClient, path: str, lang: str) -> str:
    url = path if lang == "en" else path + ("&" if "?" in path else "?") + f"lang={lang}"
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags, scripts and styles, entities decoded."""
    body = re.sub(r"<(script|style|title)\b.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", htmllib.unescape(body))


def section(html: str, tag: str) -> str:
    m = re.search(rf"<{tag}\b.*?</{tag}>", html, re.S)
    assert m, tag
    return m.group(0)


def expected_date(created_at: str, lang: str) -> str:
    day = datetime.fromisoformat(created_at).date()
    return str(format_date(day, format="long", locale=DATE_LOCALE[lang]))


def decimal(x: float, lang: str) -> str:
    return str(format_decimal(x, format="#,##0.###", locale=lang))


# --- the about page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_about_page_in_every_language(
    client: TestClient, manifest: ReleaseManifest, demo_release: Path, lang: str
) -> None:
    page = get(client, "/about", lang)
    text = text_of(section(page, "main"))
    assert f'<html lang="{lang}">' in page
    privacy = manifest.privacy
    assert re.search(rf"ε \(\w+\) = {re.escape(decimal(privacy.epsilon, lang))}\b", text)
    assert re.search(r"δ \(delta\) = " + re.escape(small_number(Lang(lang), privacy.delta)), text)
    assert f"ε = {decimal(privacy.lifetime.lifetime_epsilon, lang)}" in text  # the lifetime budget
    assert manifest.years is not None
    first, last = manifest.years
    assert str(first) in text and str(last) in text
    assert all(c in text for c in manifest.contributors)
    assert manifest.standard_version in text
    assert f"{decimal(100 * privacy.interval_level, lang)} %" in text  # "90 %"
    fewer = {"en": "fewer than", "fr": "moins de", "es": "menos de"}[lang]
    assert f"{fewer} {privacy.display_threshold}" in text
    assert manifest.release_id in text and expected_date(manifest.created_at, lang) in text
    words = {
        "en": ("not prevalence", "identified", "differential privacy", "How to cite"),
        "fr": ("prévalence", "identifiés", "confidentialité différentielle", "Comment citer"),
        "es": ("prevalencia", "identificados", "privacidad diferencial", "Cómo citar"),
    }[lang]
    assert all(w in text for w in words), (lang, [w for w in words if w not in text])
    if lang != "en":
        for english in ("What the data are", "Sources of", "How the people", "Reading the figures"):
            assert english not in text, (lang, english)
    # the release's citation, as the downloads page shows it
    citation = (demo_release / "CITATION.txt").read_text(encoding="utf-8").strip()
    assert htmllib.escape(citation, quote=False) in page
    # in the main navigation, marked as the current page, links keeping the language
    nav = section(page, "nav")
    about_link = "/about" + ("" if lang == "en" else f"?lang={lang}")
    assert f'href="{about_link}" aria-current="page"' in nav
    for href in re.findall(r'href="(/[^"]*)"', section(page, "main")):
        if not href.startswith("/api/"):
            assert lang == "en" or f"lang={lang}" in href, href


def test_about_is_in_the_nav_of_every_page(client: TestClient) -> None:
    assert ("/about", "About") in NAV
    for lang in LANGS:
        for path in ("/", "/downloads"):
            nav = section(get(client, path, lang), "nav")
            assert re.search(r'href="/about(\?lang=\w\w)?"', nav), (path, lang)
    label = {"en": ">About<", "fr": ">À propos<", "es": ">Acerca de<"}
    for lang in LANGS:
        assert label[lang] in section(get(client, "/", lang), "nav")


def test_about_figures_come_from_the_manifest(demo_release: Path, tmp_path: Path) -> None:
    """A copy of the release whose manifest says other things: the about page says them too (one
    contributor, ε = 2.5, a second release, one release left), with singular forms where the count is 1."""
    releases = tmp_path / "releases"
    copy = shutil.copytree(demo_release, releases / demo_release.name)
    doc: dict[str, Any] = json.loads((copy / "release.json").read_text(encoding="utf-8"))
    doc["contributors"] = ["solo-org"]
    doc["created_at"] = "2027-03-01T09:00:00+00:00"
    doc["privacy"]["epsilon"] = 2.5
    doc["privacy"]["delta"] = 2.5e-7
    doc["privacy"]["display_threshold"] = 1
    doc["privacy"]["lifetime"].update(
        releases=2, epsilon_spent=6.5, lifetime_epsilon=9, remaining_releases_at_this_epsilon=1
    )
    (copy / "release.json").write_text(json.dumps(doc), encoding="utf-8")
    with TestClient(create_app(releases)) as c:
        en = text_of(get(c, "/about", "en"))
        assert "ε (epsilon) = 2.5" in en and "δ (delta) = 2.5 × 10⁻⁷" in en
        assert "1 contributing organisation: solo-org." in en
        assert "Over its 2 releases so far, the hub has spent ε = 6.5 of its lifetime budget of ε = 9." in en
        assert "allows 1 more release at the same ε" in en
        assert "An estimate below 1 case reads “fewer than 1”" in en
        assert "published 1 March 2027" in en
        assert "Contributor: solo-org" in en and "Contributors:" not in en
        fr = text_of(get(c, "/about", "fr"))
        assert "ε (epsilon) = 2,5" in fr and "1 organisation contributrice : solo-org." in fr
        assert "parue le 1 mars 2027" in fr or "parue le 1er mars 2027" in fr
        assert "Contributeur : solo-org" in fr
        es = text_of(get(c, "/about", "es"))
        assert "ε (épsilon) = 2,5" in es and "1 organización contribuyente: solo-org." in es
        assert "1 versión más" in es and "Contribuyente: solo-org" in es
        overview = text_of(get(c, "/", "en"))
        assert "Contributing organisation " in overview and "Contributing organisations" not in overview
        for lang in LANGS:
            for path in ("/about", "/downloads", "/"):
                text = text_of(get(c, path, lang))
                assert not WRONG_SINGULAR.search(text), (path, lang, WRONG_SINGULAR.search(text))


# --- the release date in every footer ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_release_date_in_the_footer_of_every_page(
    client: TestClient, manifest: ReleaseManifest, lang: str
) -> None:
    date = expected_date(manifest.created_at, lang)
    published = {"en": "published", "fr": "parue le", "es": "publicada el"}[lang]
    line = f"{RELEASE_WORD[lang]} {manifest.release_id}, {published} {date}"
    for path in PAGES:
        footer = text_of(section(get(client, path, lang), "footer"))
        assert line in footer, (path, lang, footer)


def test_release_date_formats() -> None:
    assert release_date(Lang("en"), "2026-12-02T05:45:00+00:00") == "2 December 2026"
    assert release_date(Lang("fr"), "2026-12-02T05:45:00Z") == "2 décembre 2026"
    assert release_date(Lang("es"), "2026-12-02T05:45:00+00:00") == "2 de diciembre de 2026"
    assert release_date(Lang("en"), "not a date") == "not a date"


# --- the downloads page -----------------------------------------------------------------------------------


def test_file_sizes_are_locale_formatted() -> None:
    en, fr, es = Lang("en"), Lang("fr"), Lang("es")
    assert file_size(en, 19_200_000) == "19.2 MB"
    assert file_size(fr, 19_200_000) == "19,2\u202fMo"
    assert file_size(es, 19_200_000) == "19,2 MB"
    assert file_size(en, 1) == "1 byte" and file_size(en, 999) == "999 bytes"
    assert file_size(fr, 1) == "1 octet" and file_size(fr, 850) == "850 octets"
    assert file_size(en, 1_450) == "1.4 kB" and file_size(fr, 1_450) == "1,4\u202fko"
    assert file_size(en, 999_960) == "1.0 MB"  # not "1,000.0 kB"
    assert file_size(en, 3_200_000_000) == "3.2 GB"
    assert small_number(en, 1e-6) == "10⁻⁶" and small_number(fr, 2.5e-7) == "2,5 × 10⁻⁷"
    assert small_number(en, 0.05) == "0.05"


@pytest.mark.parametrize("lang", LANGS)
def test_downloads_show_file_sizes(client: TestClient, demo_release: Path, lang: str) -> None:
    page = get(client, "/downloads", lang)
    main = section(page, "main")
    datapackage = json.loads((demo_release / "datapackage.json").read_text(encoding="utf-8"))
    checked = 0
    for r in datapackage["resources"]:
        sizes = {r["path"]: r["bytes"]}
        for fmt, path in r.get("ctdhub:alternates", {}).items():
            sizes[path] = r["ctdhub:alternate_bytes"][fmt]
        for path, size in sizes.items():
            link = f"/api/v1/releases/{datapackage['id']}/files/{path}"
            if f'href="{link}"' not in main:
                continue
            # the size follows the link, in the page's language
            after = main.rsplit(f'href="{link}"', 1)[1][:300]
            assert htmllib.escape(file_size(Lang(lang), size)) in after, (lang, path, after)
            checked += 1
    assert checked >= 20
    unit = {"en": r"(kB|MB|bytes?)", "fr": r"(ko|Mo|octets?)", "es": r"(kB|MB|bytes?)"}[lang]
    assert len(re.findall(rf"\d[\u202f ]{unit}\b", text_of(main))) >= 20


@pytest.mark.parametrize("lang", LANGS)
def test_downloads_have_no_raw_field_names(client: TestClient, lang: str) -> None:
    text = text_of(get(client, "/downloads", lang))
    assert not FIELD_NAME.search(text), (lang, FIELD_NAME.findall(text)[:10])
    lg = Lang(lang)
    for dim in ("yearOfRegistration", "CountryOfExploitation", "citizenship_region", "typeOfExploit"):
        assert lg.dim(dim) in text, (lang, dim)
    assert "aggregate" not in text and "microdata-" not in text  # data package roles, not for readers


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_downloads_page_is_translated(client: TestClient, lang: str) -> None:
    text = text_of(section(get(client, "/downloads", lang), "main"))
    english = [
        "Estimates",
        "Table of estimates",
        "Workbook",
        "Synthetic records",
        "Privacy and utility report",
        "Data dictionary",
        "Release notes",
        "Changes since",
        "How to cite",
        "Published data files",
        "Checksums",
        "The release's model",
        "with the size",
        "Files",
    ]
    assert [w for w in english if w in text] == []


def test_no_singular_count_with_a_plural_noun(client: TestClient) -> None:
    for lang in LANGS:
        for path in PAGES:
            text = text_of(get(client, path, lang))
            assert not WRONG_SINGULAR.search(text), (path, lang, WRONG_SINGULAR.search(text))
