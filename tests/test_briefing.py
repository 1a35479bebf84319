"""Briefings over a small generated release: every format and language, the JSON figures against an
independent DuckDB count over the same restricted snapshot, no count from 1 to threshold − 1 anywhere,
grouping membership per year, errors, the CLI, and (slow) the real CTDC 2021 synthetic file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ctdhub.demo.generate import generate
from ctdhub.geo import resolver
from ctdhub.ingest import ingest_file
from ctdhub.publish import Gate, ReleaseView
from ctdhub.publish.briefing import (
    BriefingError,
    SelectionError,
    Years,
    make_briefing,
    make_selection,
)
from ctdhub.publish.briefing.figures import BriefingFigures, check_disclosure
from ctdhub.publish.briefing.groupings import groupings, parse_groupings
from ctdhub.publish.briefing.i18n import messages
from ctdhub.publish.gate import DisclosureError
from ctdhub.release.create import create_release
from ctdhub.standard import load_standard
from ctdhub.store import init_store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

THRESHOLD = 10
POLICY = (
    "policy: t\nkanon: {enabled: false}\nsynthetic: {enabled: false}\n"
    f"aggregates: {{threshold: {THRESHOLD}}}\nformats: [csv]\n"
)
SELECTIONS: dict[str, dict[str, Any]] = {
    "year": {"years": "2023"},
    "europe": {"years": "2022-2024", "exploitation_regions": ["Europe"]},
    "eu": {"years": "2019-2021", "grouping": "eu"},
    "citizens": {"citizenship_countries": ["Philippines", "VNM"], "datasources": ["case management"]},
    "west-hotline": {"exploitation_subregions": ["Western Europe"], "datasources": ["Hotline"]},
}
ONE_WAY = {
    "gender": "gender",
    "ageBroad": "ageBroad",
    "majorityStatus": "majorityStatus",
    "citizenship": "citizenship",
    "exploitation_country": "CountryOfExploitation",
    "Datasource": "Datasource",
    "contributor": "contributor",
    "yearOfRegistration": "yearOfRegistration",
}


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> ReleaseView:
    base = tmp_path_factory.mktemp("briefing")
    hub, _ = init_store(base / "hub")
    for f in generate(base / "files", 4_000, seed=11):
        ingest_file(hub, f.path, f.contributor, f.spec)
    policy = base / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    create_release(hub, policy)
    return Gate(hub.releases_dir).release(None)


@pytest.fixture(scope="module")
def briefing_json(view: ReleaseView) -> Callable[[str, str], dict[str, Any]]:
    cache: dict[tuple[str, str], dict[str, Any]] = {}

    def get(name: str, lang: str = "en") -> dict[str, Any]:
        if (name, lang) not in cache:
            b = make_briefing(view, make_selection(**SELECTIONS[name]), lang=lang, fmt="json")
            cache[(name, lang)] = json.loads(b.content)
        return cache[(name, lang)]

    return get


# --- independent counts ---------------------------------------------------------------------------


def _where(sel: dict[str, Any]) -> str:
    """The selection as SQL, written independently of ctdhub.publish.briefing.selection."""
    rows = resolver().region_rows()
    conds = []
    if "years" in sel:
        a, _, b = sel["years"].partition("-")
        conds.append(f"yearOfRegistration BETWEEN {a} AND {b or a}")
    if "exploitation_regions" in sel:
        codes = [r["iso3"] for r in rows if r["un_region"] in sel["exploitation_regions"]]
        conds.append("CountryOfExploitation IN (" + ",".join(f"'{c}'" for c in codes) + ")")
    if "exploitation_subregions" in sel:
        codes = [r["iso3"] for r in rows if r["un_subregion"] in sel["exploitation_subregions"]]
        conds.append("CountryOfExploitation IN (" + ",".join(f"'{c}'" for c in codes) + ")")
    if "grouping" in sel:
        g = groupings()[sel["grouping"]]
        pairs = [
            f"(CountryOfExploitation = '{m.iso3}' AND yearOfRegistration BETWEEN {m.first or 0} AND "
            f"{m.last or 9999})"
            for m in g.members
        ]
        conds.append("(" + " OR ".join(pairs) + ")")
    if "citizenship_countries" in sel:
        codes = [resolver().resolve(c).iso3 for c in sel["citizenship_countries"]]
        conds.append("citizenship IN (" + ",".join(f"'{c}'" for c in codes) + ")")
    if "datasources" in sel:
        conds.append("lower(Datasource) IN (" + ",".join(f"'{d.lower()}'" for d in sel["datasources"]) + ")")
    return " AND ".join(conds) or "true"


def independent_counts(view: ReleaseView, sel: dict[str, Any]) -> dict[str, dict[str, int]]:
    snap = view.restricted_snapshot("briefing")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW s AS SELECT * FROM read_parquet('{snap}') WHERE {_where(sel)}")
    out: dict[str, dict[str, int]] = {"total": {"": con.execute("SELECT count(*) FROM s").fetchone()[0]}}  # type: ignore[index]
    for name, col in ONE_WAY.items():
        rows = con.execute(
            f"SELECT coalesce(CAST({col} AS VARCHAR), 'Unknown'), count(*) FROM s GROUP BY 1"
        ).fetchall()
        out[name] = {str(k): int(v) for k, v in rows}
    regions = {r["iso3"]: r["un_region"] for r in resolver().region_rows()}
    for name, col in (
        ("citizenship_region", "citizenship"),
        ("exploitation_region", "CountryOfExploitation"),
    ):
        agg: dict[str, int] = {}
        for k, v in out["citizenship" if col == "citizenship" else "exploitation_country"].items():
            reg = regions.get(k) or "Unknown"
            agg[reg] = agg.get(reg, 0) + v
        out[name] = agg
    for fam in load_standard().families:
        cnt = {m: con.execute(f'SELECT count(*) FROM s WHERE "{m}" = 1').fetchone()[0] for m in fam.members}  # type: ignore[index]
        cnt["(any information)"] = con.execute(
            f"SELECT count(*) FROM s WHERE {fam.has_info_sql()}"
        ).fetchone()[0]  # type: ignore[index]
        out[fam.name] = {k: int(v) for k, v in cnt.items()}
    return out


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_json_numbers_match_independent_counts(
    view: ReleaseView, briefing_json: Callable[[str, str], dict[str, Any]], name: str
) -> None:
    doc = briefing_json(name, "en")
    truth = independent_counts(view, SELECTIONS[name])
    t = doc["threshold"]
    assert t == THRESHOLD == view.threshold
    assert doc["cases"] == truth["total"][""]
    published = 0
    for table, want in truth.items():
        if table == "total":
            continue
        got = doc[table]
        for key in set(want) | set(got):
            n, g = want.get(key, 0), got.get(key, 0)
            if 0 < n < t:
                assert g is None, (table, key, n)
            if g is not None:
                assert g == n, (table, key)
                published += 1
    assert published > 20
    suppressed = {(s["table"], tuple(s["key"])) for s in doc["suppressed"]}
    assert all(doc[tab][key[0]] is None for tab, key in suppressed if len(key) == 1)


def _numbers(obj: Any) -> list[int]:
    if isinstance(obj, bool):
        return []
    if isinstance(obj, int):
        return [obj]
    if isinstance(obj, dict):
        return [n for v in obj.values() for n in _numbers(v)]
    if isinstance(obj, list):
        return [n for v in obj for n in _numbers(v)]
    return []


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_no_small_count_anywhere_in_json(
    briefing_json: Callable[[str, str], dict[str, Any]], name: str
) -> None:
    doc = briefing_json(name, "en")
    counts = {
        k: v
        for k, v in doc.items()
        if k
        not in (
            "version",
            "threshold",
            "countries",
            "citizenship_countries",
            "percent",
            "selection",
            "comparison",
            "narrative",
        )
    }
    small = [n for n in _numbers(counts) if 0 < n < doc["threshold"]]
    assert small == []
    # no narrative sentence prints a small count as a bare number
    for sentences in doc["narrative"].values():
        for s in sentences:
            for m in re.findall(r"(?<![\d.,<–-])(\d+)(?![\d%,.]|\s?%)", s):
                assert not (0 < int(m) < doc["threshold"]) or int(m) == doc["countries"], s


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize("name", ["year", "eu", "citizens"])
def test_json_in_each_language(
    briefing_json: Callable[[str, str], dict[str, Any]], name: str, lang: str
) -> None:
    doc = briefing_json(name, lang)
    assert doc["lang"] == lang
    assert doc["release_id"] == "0001"
    assert doc["suppressed_marker"] == "<10"
    assert doc["narrative"]["headline"] and doc["methods"]
    assert {"gender", "citizenship_region", "exploitation_country", "typeOfExploit"} <= set(doc)
    en = briefing_json(name, "en")
    assert doc["gender"] == en["gender"]  # numbers do not depend on the language
    if lang != "en":
        assert doc["narrative"]["headline"] != en["narrative"]["headline"]


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize("name", ["europe", "west-hotline"])
def test_html_is_self_contained(view: ReleaseView, name: str, lang: str) -> None:
    b = make_briefing(view, make_selection(**SELECTIONS[name]), lang=lang, fmt="html")
    html = b.content.decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and f'lang="{lang}"' in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert html.count("data:image/svg+xml;base64,") >= 4
    assert "&#34;" not in html.split("</style>")[0]  # the stylesheet is not escaped
    for cell in re.findall(r'<td class="n">([^<]*)</td>', html):
        digits = cell.replace(",", "").replace(".", "").replace("\u202f", "").replace("\xa0", "").strip()
        if digits.isdigit():
            assert not (0 < int(digits) < THRESHOLD), cell


def test_pdf(view: ReleaseView, tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"weasyprint cannot load: {exc}")
    b = make_briefing(view, make_selection(**SELECTIONS["europe"]), lang="fr", fmt="pdf")
    assert b.content.startswith(b"%PDF")
    assert len(b.content) > 20_000
    if shutil.which("pdffonts"):  # poppler-utils: the shipped font is embedded, no other font is used
        pdf = tmp_path / "b.pdf"
        pdf.write_bytes(b.content)
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        names = [line.split()[0] for line in fonts.splitlines()[2:]]
        assert names and all("DejaVu-Sans" in n for n in names), fonts


def test_comparison_and_change(view: ReleaseView) -> None:
    sel = make_selection(years="2022-2023")
    b = make_briefing(view, sel, fmt="json")
    doc = json.loads(b.content)
    assert doc["comparison"]["years"] == "2020-2021"
    truth = independent_counts(view, {"years": "2020-2021"})["total"][""]
    assert doc["comparison"]["cases"] == truth
    assert doc["change"]["cases"] == doc["cases"] - truth
    explicit = json.loads(make_briefing(view, sel, compare=Years(2016, 2016), fmt="json").content)
    assert explicit["comparison"]["years"] == "2016"
    none = json.loads(make_briefing(view, sel, compare=None, fmt="json").content)
    assert none["comparison"] is None and none["change"] is None
    with pytest.raises(SelectionError, match="overlaps"):
        make_briefing(view, sel, compare=Years(2023, 2024), fmt="json")


def test_grouping_membership_per_year() -> None:
    eu = groupings()["eu"]
    assert "POL" not in eu.members_in(2003) and "POL" in eu.members_in(2004)
    assert "HRV" not in eu.members_in(2012) and "HRV" in eu.members_in(2013)
    assert "ROU" in eu.members_in(2007) and "ROU" not in eu.members_in(2006)
    assert "GBR" in eu.members_in(2019) and "GBR" not in eu.members_in(2020)
    assert len(eu.members_in(2003)) == 15 and len(eu.members_in(2004)) == 25
    assert len(eu.members_in(2019)) == 28 and len(eu.members_in(2020)) == 27
    efta = groupings()["eu-efta"]
    assert efta.members_in(2020) == eu.members_in(2020) | {"ISL", "LIE", "NOR", "CHE"}
    assert any(name.startswith("iom-ro-") for name in groupings())


def test_grouping_applies_per_year_in_counts(view: ReleaseView) -> None:
    snap = view.restricted_snapshot("briefing")
    con = duckdb.connect()
    for year in (2019, 2020):
        want = con.execute(
            f"SELECT count(*) FROM read_parquet('{snap}') WHERE yearOfRegistration = {year} AND CountryOfExploitation "
            f"IN ({','.join(repr(c) for c in groupings()['eu'].members_in(year))})"
        ).fetchone()[0]  # type: ignore[index]
        doc = json.loads(
            make_briefing(
                view, make_selection(years=str(year), grouping="eu"), fmt="json", compare=None
            ).content
        )
        assert doc["cases"] == want
        gbr = doc["exploitation_country"].get("GBR", 0)
        assert (gbr == 0) if year == 2020 else (gbr is None or gbr > 0)


def test_groupings_file_is_validated() -> None:
    bad = (
        "version: 1\ngroupings:\n  x:\n    label: {en: X, fr: X, es: X}\n    members:\n      - {iso3: NRN}\n"
    )
    with pytest.raises(Exception, match="NRN"):
        parse_groupings(bad, "g.yaml")
    with pytest.raises(Exception, match="line"):
        parse_groupings("version: 1\ngroupings:\n  x: {label: {en: X}}\n", "g.yaml")


def test_catalogue_has_every_language() -> None:
    for key, entry in messages().items():
        assert set(entry) >= {"en", "fr", "es"}, key


def test_selection_errors_are_one_actionable_sentence(view: ReleaseView) -> None:
    with pytest.raises(SelectionError, match=r"--exploitation-country 'Narnia'"):
        make_selection(exploitation_countries=["Narnia"])
    with pytest.raises(SelectionError, match=r"--citizenship-region 'Atlantis'.*Africa"):
        make_selection(citizenship_regions=["Atlantis"])
    with pytest.raises(SelectionError, match="--years '20x5'"):
        make_selection(years="20x5")
    with pytest.raises(SelectionError, match="--grouping 'nato'"):
        make_selection(grouping="nato")
    with pytest.raises(SelectionError, match="--contributor 'nobody'"):
        make_selection(contributors=["nobody"], known_contributors=["a", "b"])
    with pytest.raises(BriefingError, match="matches no case"):
        make_briefing(view, make_selection(years="1999"), fmt="json")
    with pytest.raises(BriefingError, match="fewer than 10"):
        make_briefing(
            view,
            make_selection(years="2024", exploitation_countries=["GRC"], datasources=["Hotline"]),
            fmt="json",
        )


def test_final_check_refuses_a_small_figure(view: ReleaseView) -> None:
    b = make_briefing(view, make_selection(years="2023"), fmt="json")
    figs: BriefingFigures = b.figures
    figs.main["gender"].cells[("Female",)] = 3
    with pytest.raises(DisclosureError, match="below the threshold"):
        check_disclosure(figs)


def test_snapshot_is_reached_only_for_briefings(view: ReleaseView) -> None:
    with pytest.raises(DisclosureError):
        view.restricted_snapshot("dashboard")


def test_cli(view: ReleaseView, tmp_path: Path) -> None:
    store = view.path.parents[1]
    out = tmp_path / "b.html"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ctdhub", "briefing", "--store", str(store), *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    r = run(
        "--years",
        "2023",
        "--exploitation-region",
        "europe",
        "--format",
        "html",
        "--lang",
        "es",
        "--out",
        str(out),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["ok"] and obj["path"] == str(out) and out.read_text(encoding="utf-8").startswith("<!DOCTYPE")
    r = run("--years", "2023", "--format", "json", "--out", "-")
    assert r.returncode == 0 and json.loads(r.stdout)["cases"] > 0
    r = run("--exploitation-country", "Narnia")
    assert r.returncode == 2 and "Narnia" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run("--years", "1999")
    assert r.returncode == 1 and "no case" in r.stderr


@pytest.mark.slow
def test_ctdc_2021_synthetic_briefing(reference: Path, tmp_path: Path) -> None:
    """The real CTDC 2021 synthetic file → a release (aggregates only) → a briefing; JSON checked."""
    hub, _ = init_store(tmp_path / "hub")
    ingest_file(
        hub, reference / "ctdc" / "data" / "CTDC_synthetic_20210825.csv", "ctdc-synthetic", "ctdc-synthetic"
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    create_release(hub, policy)
    view = Gate(hub.releases_dir).release(None)
    sel = {"years": "2015-2016", "exploitation_regions": ["Europe"]}
    doc = json.loads(make_briefing(view, make_selection(**sel), fmt="json").content)
    truth = independent_counts(view, sel)
    assert doc["cases"] == truth["total"][""] > 100
    for table in ("gender", "citizenship_region", "exploitation_country", "typeOfExploit", "ageBroad"):
        for key, n in truth[table].items():
            got = doc[table].get(key, 0)
            assert (got is None) if 0 < n < THRESHOLD else (got is None or got == n), (table, key)
    for lang in ("fr", "es"):
        assert (
            json.loads(make_briefing(view, make_selection(**sel), fmt="json", lang=lang).content)["cases"]
            == doc["cases"]
        )
