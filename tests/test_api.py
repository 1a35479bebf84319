"""The public API in process (FastAPI TestClient) over a small release: every endpoint, the stats rules,
no count from 1 to threshold − 1 in any response, 4xx for bad input, ETag/304, CSV, refused paths and a
withdrawn release."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from ctdhub.demo.generate import generate
from ctdhub.ingest import ingest_file
from ctdhub.publish import Gate
from ctdhub.publish.app import create_app
from ctdhub.release.create import create_release
from ctdhub.release.registry import withdraw_release
from ctdhub.store import init_store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

POLICY = (
    "policy: t\nkanon: {k: 5}\naggregates: {threshold: 5}\nsynthetic: {seed: 1}\nformats: [csv, parquet]\n"
)
FAMILIES = {"typeOfExploit", "meansOfControl", "typeOfLabour", "typeOfSex", "recruiterRelation"}
FILTER_PARAM = {
    "citizenship": "citizenship",
    "citizenship_region": "citizenship_region",
    "citizenship_subregion": "citizenship_subregion",
    "CountryOfExploitation": "exploitation_country",
    "exploitation_region": "exploitation_region",
    "exploitation_subregion": "exploitation_subregion",
    "gender": "gender",
    "ageBroad": "ageBroad",
    "typeOfExploit": "typeOfExploit",
    "Datasource": "Datasource",
}


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("api")
    hub, _ = init_store(base / "hub")
    for f in generate(base / "files", 3_000, seed=5):
        ingest_file(hub, f.path, f.contributor, f.spec)
    policy = base / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    out = create_release(hub, policy)
    assert out.release_id == "0001"
    return hub.releases_dir


@pytest.fixture(scope="module")
def client(releases: Path) -> Iterator[TestClient]:
    with TestClient(create_app(releases)) as c:
        yield c


@pytest.fixture(scope="module")
def published(releases: Path) -> dict[str, list[dict[str, Any]]]:
    """Each aggregate table as read straight from the gate, keyed by sorted dims (the independent truth)."""
    view = Gate(releases).release(None)
    out = {}
    for r in view.resources():
        if r.get("ctdhub:role") == "aggregate":
            dims = r["schema"]["ctdhub:dims"]
            out[",".join(sorted(dims))] = (
                view.table(r["name"]).select([*dims, "count", "suppressed"]).to_pylist()
            )
    return out


def small_counts(body: Any, threshold: int) -> list[Any]:
    """Every value under a 'count' key, anywhere in a JSON body, that lies in 1..threshold-1."""
    found: list[Any] = []
    if isinstance(body, dict):
        for k, v in body.items():
            if k == "count" and isinstance(v, int) and 0 < v < threshold:
                found.append(v)
            else:
                found += small_counts(v, threshold)
    elif isinstance(body, list):
        for v in body:
            found += small_counts(v, threshold)
    return found


def expected(
    rows: list[dict[str, Any]], dims: list[str], keep: dict[str, set[str]], years: tuple[int, int] | None
) -> dict[tuple[str, ...], int | None]:
    """Independent computation: sum published cells, None if any contributing cell is suppressed."""
    acc: dict[tuple[str, ...], int | None] = {}
    for r in rows:
        if any(r[d] not in vals for d, vals in keep.items()):
            continue
        if years is not None:
            y = r["yearOfRegistration"]
            if not (y.isdigit() and years[0] <= int(y) <= years[1]):
                continue
        k = tuple(r[d] for d in dims)
        prev = acc.get(k, 0)
        acc[k] = None if prev is None or r["suppressed"] else prev + r["count"]
    if not dims and not acc:
        acc[()] = 0  # a total over no case is a published zero
    return acc


# --- releases, files, dictionary, tables -------------------------------------------------------------


def test_healthz_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json()["ok"] is True
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/stats" in spec["paths"]
    html = client.get("/api/docs").text
    assert "/api/v1/stats" in html and "<script" not in html and "https://" not in html


def test_releases(client: TestClient) -> None:
    body = client.get("/api/v1/releases").json()
    assert [r["release_id"] for r in body["releases"]] == ["0001"] and body["latest"] == "0001"
    assert "store_state" not in body["releases"][0]
    one = client.get("/api/v1/releases/0001").json()
    assert one == client.get("/api/v1/releases/latest").json()
    assert one["threshold"] == 5
    names = {r["name"] for r in one["resources"]}
    assert "agg_total" in names and "kanon" in names
    assert "restricted" not in str(one) and "snapshot" not in str(one)
    for r in one["resources"]:
        for url in [r["url"], *r["alternates"].values()]:
            assert client.head(url).status_code in (200, 405) or client.get(url).status_code == 200


def test_unknown_release(client: TestClient) -> None:
    for url in ["/api/v1/releases/9999", "/api/v1/releases/abc", "/api/v1/stats?release=9999"]:
        r = client.get(url)
        assert r.status_code == 404 and r.json()["message"]


def test_file_download(client: TestClient) -> None:
    r = client.get("/api/v1/releases/0001/files/data/agg_gender.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="agg_gender.csv"' in r.headers["content-disposition"]
    assert r.text.splitlines()[0].startswith("gender,count")
    pq = client.get("/api/v1/releases/0001/files/data/agg_gender.parquet")
    assert pq.status_code == 200 and pq.content[:4] == b"PAR1"
    assert client.get("/api/v1/releases/0001/files/datapackage.json").json()["resources"]
    etag = r.headers["etag"]
    again = client.get("/api/v1/releases/0001/files/data/agg_gender.csv", headers={"If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "restricted/snapshot.parquet",
        "release.json",
        "%2e%2e/0001/release.json",
        "data/%2e%2e/release.json",
        "..%2F..%2Fhub.duckdb",
        "data/nothing.csv",
        "%2Fetc%2Fpasswd",
    ],
)
def test_refused_paths(client: TestClient, path: str) -> None:
    r = client.get(f"/api/v1/releases/0001/files/{path}")
    assert r.status_code in (403, 404)
    assert "Traceback" not in r.text and r.json()["message"]


def test_dictionary(client: TestClient) -> None:
    d = client.get("/api/v1/dictionary").json()
    gender = next(f for f in d["fields"] if f["name"] == "gender")
    assert {"Female", "Male"} <= {v["code"] for v in gender["values"]}
    fam = next(f for f in d["families"] if f["name"] == "typeOfExploit")
    assert "isForcedLabour" in fam["members"] and fam["denominator"] == "(any information)"


def test_tables(client: TestClient, published: dict[str, list[dict[str, Any]]]) -> None:
    body = client.get("/api/v1/tables").json()
    assert {",".join(sorted(t["dims"])) for t in body["tables"]} == set(published)
    assert "Female" in body["dimensions"]["gender"]["values"]
    assert body["dimensions"]["typeOfExploit"]["family"] is True
    for t in body["tables"][:3]:
        assert client.get(t["url"]).status_code == 200


# --- stats ------------------------------------------------------------------------------------------


def cells_by_key(body: dict[str, Any]) -> dict[tuple[str, ...], int | None]:
    return {tuple(c[d] for d in body["dims"]): c["count"] for c in body["cells"]}


def test_stats_total_and_one_way(client: TestClient, published: dict[str, list[dict[str, Any]]]) -> None:
    total = client.get("/api/v1/stats").json()
    assert total["cells"] == [{"count": published[""][0]["count"], "suppressed": False}]
    assert "not prevalence" in total["caveat"] and total["threshold"] == 5
    assert total["contributors"] and total["years"]
    gender = client.get("/api/v1/stats?dims=gender").json()
    assert cells_by_key(gender) == {(r["gender"],): r["count"] for r in published["gender"]}
    published_sum = sum(c for c in cells_by_key(gender).values() if c is not None)
    assert published_sum <= total["cells"][0]["count"]


def test_stats_sums_over_years(client: TestClient, published: dict[str, list[dict[str, Any]]]) -> None:
    body = client.get("/api/v1/stats?dims=gender&year_from=2016&year_to=2019").json()
    assert body["table"] == "agg_yearofregistration_gender" and body["summed_over"] == ["yearOfRegistration"]
    want = expected(published["gender,yearOfRegistration"], ["gender"], {}, (2016, 2019))
    assert cells_by_key(body) == want


def test_stats_family_never_summed(client: TestClient, published: dict[str, list[dict[str, Any]]]) -> None:
    one = client.get("/api/v1/stats?typeOfExploit=isForcedLabour").json()
    row = next(r for r in published["typeOfExploit"] if r["typeOfExploit"] == "isForcedLabour")
    assert one["cells"][0]["count"] == row["count"] and one["table"] == "agg_typeofexploit"
    den = next(r for r in published["typeOfExploit"] if r["typeOfExploit"] == "(any information)")
    assert one["denominators"]["typeOfExploit"][0]["count"] == den["count"]
    two = client.get("/api/v1/stats?dims=gender&typeOfExploit=isForcedLabour,isSexualExploit").json()
    assert two["dims"] == ["gender", "typeOfExploit"] and two["notes"]
    # a gender table never comes from a table with an extra family dimension
    assert client.get("/api/v1/stats?dims=gender").json()["table"] == "agg_gender"


def test_stats_filters_case_insensitive_and_repeatable(client: TestClient) -> None:
    a = client.get("/api/v1/stats?dims=yearOfRegistration&gender=female&gender=MALE").json()
    b = client.get("/api/v1/stats?dims=yearOfRegistration&gender=Female,Male").json()
    assert a["cells"] == b["cells"] and a["filters"]["gender"] == ["Female", "Male"]


def test_stats_csv(client: TestClient) -> None:
    r = client.get("/api/v1/stats?dims=gender,ageBroad&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0] == "gender,ageBroad,count,suppressed"
    j = client.get("/api/v1/stats?dims=gender,ageBroad").json()
    assert len(lines) == len(j["cells"]) + 1
    assert r.headers["etag"] != client.get("/api/v1/stats?dims=gender,ageBroad").headers["etag"]


def test_etag_304(client: TestClient) -> None:
    r = client.get("/api/v1/stats?dims=gender&year_from=2016")
    etag = r.headers["etag"]
    assert "max-age" in r.headers["cache-control"]
    assert (
        client.get("/api/v1/stats?dims=gender&year_from=2016", headers={"If-None-Match": etag}).status_code
        == 304
    )
    # the normalised query: same request written differently has the same ETag
    assert client.get("/api/v1/stats?year_from=2016&dims=gender").headers["etag"] == etag
    assert client.get("/api/v1/stats?dims=gender&year_from=2017").headers["etag"] != etag
    for url in ["/api/v1/releases", "/api/v1/releases/0001", "/api/v1/tables", "/api/v1/dictionary"]:
        t = client.get(url).headers["etag"]
        assert client.get(url, headers={"If-None-Match": t}).status_code == 304


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("dims=nonsense", 400, "Unknown dimension"),
        ("dims=gender&gender=Alien", 400, "Unknown value"),
        ("dims=gender&bogus=1", 400, "Unknown query parameter"),
        ("dims=gender&year_from=abc", 400, "year_from"),
        ("dims=gender&year_from=2020&year_to=2016", 400, "after"),
        ("dims=gender,contributor", 400, "publishes no table"),
        ("dims=typeOfExploit,meansOfControl", 400, "publishes no table"),
        ("dims=gender&format=xml", 400, "format"),
        ("dims=gender,ageBroad&typeOfExploit=isForcedLabour&Datasource=Hotline", 400, "publishes no table"),
    ],
)
def test_stats_bad_input(client: TestClient, query: str, status: int, words: str) -> None:
    r = client.get(f"/api/v1/stats?{query}")
    assert r.status_code == status, r.text
    body = r.json()
    assert words in body["message"] and "Traceback" not in r.text


def test_uncoverable_lists_combinations(client: TestClient) -> None:
    body = client.get("/api/v1/stats?dims=gender,majorityStatus&citizenship=FRA").json()
    assert ["gender"] in body["allowed"] or any("gender" in a for a in body["allowed"])


def _queries(published: dict[str, list[dict[str, Any]]], rng: random.Random) -> Iterator[tuple[str, ...]]:
    """(table key, query string, dims, keep, years) for many combinations the tables cover."""
    for key, rows in published.items():
        tdims = key.split(",") if key else []
        for _ in range(6):
            out = [d for d in tdims if rng.random() < 0.5]
            params = [f"dims={','.join(out)}"]
            for d in tdims:
                if d in out and rng.random() < 0.7:
                    continue
                if d == "yearOfRegistration":
                    lo = rng.randint(2014, 2022)
                    params += [f"year_from={lo}", f"year_to={lo + rng.randint(0, 4)}"]
                elif d in FILTER_PARAM and rows:
                    vals = sorted({r[d] for r in rows})
                    pick = rng.sample(vals, k=min(len(vals), 1 if d in FAMILIES else rng.randint(1, 3)))
                    params.append(f"{FILTER_PARAM[d]}={','.join(pick)}")
            yield (key, "&".join(params))


def test_no_small_count_anywhere(client: TestClient, published: dict[str, list[dict[str, Any]]]) -> None:
    """Property-style: many dim/filter combinations; every answer is a sum of published cells (checked
    independently) and no count in any response lies in 1..threshold-1."""
    rng = random.Random(7)
    threshold = 5
    checked = 0
    for _key, query in _queries(published, rng):
        r = client.get(f"/api/v1/stats?{query}")
        assert r.status_code in (200, 400), (query, r.text)
        body = r.json()
        assert not small_counts(body, threshold), query
        if r.status_code != 200:
            continue
        checked += 1
        keep: dict[str, set[str]] = {}
        years = None
        f = body["filters"]
        for d, p in FILTER_PARAM.items():
            if p in f:
                keep[d] = set(f[p])
        if "year_from" in f:
            years = (f["year_from"], f["year_to"])
        source = next(t for t in client.get("/api/v1/tables").json()["tables"] if t["name"] == body["table"])
        rows = published[",".join(sorted(source["dims"]))]
        assert cells_by_key(body) == expected(rows, body["dims"], keep, years), query
        for c in body["cells"]:
            assert (c["count"] is None) == c["suppressed"]
    assert checked > 100
    for url in ["/api/v1/releases/0001", "/api/v1/tables", "/api/v1/releases"]:
        assert not small_counts(client.get(url).json(), threshold)


# --- withdrawn release ---------------------------------------------------------------------------------


def test_withdrawn_release_is_not_served(releases: Path, tmp_path: Path) -> None:
    copy = tmp_path / "releases"
    shutil.copytree(releases, copy)
    with TestClient(create_app(copy)) as c:
        assert c.get("/api/v1/releases/0001").status_code == 200
        withdraw_release(copy, "0001", "test")
        for url in [
            "/api/v1/releases/0001",
            "/api/v1/releases/0001/files/data/agg_gender.csv",
            "/api/v1/stats?release=0001&dims=gender",
            "/api/v1/tables?release=0001",
        ]:
            r = c.get(url)
            assert r.status_code in (404, 410) and "withdrawn" in r.json()["message"]
        assert c.get("/api/v1/releases").json()["releases"] == []
        assert c.get("/api/v1/stats").status_code in (404, 410)
