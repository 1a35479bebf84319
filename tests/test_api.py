"""The public API in process (FastAPI TestClient) over a small differentially private release: every
endpoint; API cells equal the gate's published table cells; every cell has lower <= estimate <= upper;
tables agree with one another (a 2-way summed over one dimension is the 1-way; a breakdown sums to the
total of the same filters); any valid combination of dimensions and filters is answered; 4xx for bad
input, ETag/304, CSV, refused paths and a withdrawn release."""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from conftest import DEMO_THRESHOLD
from ctdhub.publish import Gate
from ctdhub.publish.app import create_app
from ctdhub.release.registry import withdraw_release

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

THRESHOLD = DEMO_THRESHOLD  # the shared demo release's display threshold
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
VALUES = ("estimate", "lower", "upper")
ANY_INFO = "(any information)"


@pytest.fixture(scope="module")
def releases(demo_release: Path) -> Path:
    """The releases directory of the shared demo release (conftest's DEMO_POLICY); read-only."""
    return demo_release.parent


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
            rows = view.table(r["name"]).select([*dims, *VALUES]).to_pylist()
            out[",".join(sorted(dims))] = [
                {k: str(v) if k in dims else v for k, v in row.items()} for row in rows
            ]
    return out


@pytest.fixture(scope="module")
def vocab(client: TestClient) -> dict[str, list[str]]:
    """Published values of every dimension (from /api/v1/tables)."""
    dims = client.get("/api/v1/tables").json()["dimensions"]
    return {d: [v for v in info["values"] if v != ANY_INFO] for d, info in dims.items()}


def expected(
    rows: list[dict[str, Any]], dims: list[str], keep: dict[str, set[str]], years: tuple[int, int] | None
) -> dict[tuple[str, ...], int]:
    """Independent computation: the estimates of the published cells that match, summed by `dims`."""
    acc: dict[tuple[str, ...], int] = {}
    for r in rows:
        if any(r[d] not in vals for d, vals in keep.items()):
            continue
        if years is not None:
            y = r["yearOfRegistration"]
            if not (y.isdigit() and years[0] <= int(y) <= years[1]):
                continue
        k = tuple(r[d] for d in dims)
        acc[k] = acc.get(k, 0) + int(r["estimate"])
    if not dims and not acc:
        acc[()] = 0  # a total over no case is an estimate of zero
    return acc


def check_cells(body: dict[str, Any], query: str = "") -> None:
    """The invariants of every answered cell: whole numbers, lower <= estimate <= upper, the threshold flag."""
    assert body["interval_level"] == pytest.approx(0.9) and body["threshold"] == THRESHOLD
    for c in body["cells"]:
        assert all(isinstance(c[k], int) for k in VALUES), (query, c)
        assert 0 <= c["lower"] <= c["estimate"] <= c["upper"], (query, c)
        assert c["below_threshold"] is (c["estimate"] < THRESHOLD), (query, c)
        assert "suppressed" not in c and "count" not in c


def estimates(body: dict[str, Any], *, nonzero: bool = False) -> dict[tuple[str, ...], int]:
    return {
        tuple(c[d] for d in body["dims"]): c["estimate"]
        for c in body["cells"]
        if c["estimate"] or not nonzero
    }


# --- releases, files, dictionary, tables -------------------------------------------------------------


def test_healthz_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json()["ok"] is True
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/stats" in spec["paths"]
    html = client.get("/api/docs").text
    assert "/api/v1/stats" in html and "https://" not in html
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", html))  # the site's own only


def test_releases(client: TestClient) -> None:
    body = client.get("/api/v1/releases").json()
    assert [r["release_id"] for r in body["releases"]] == ["0001"] and body["latest"] == "0001"
    assert "store_state" not in body["releases"][0]
    one = client.get("/api/v1/releases/0001").json()
    assert one == client.get("/api/v1/releases/latest").json()
    assert one["threshold"] == 5
    names = {r["name"] for r in one["resources"]}
    assert "agg_total" in names and "kanon" not in names  # k-anonymised records: researchers only
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
    assert r.text.splitlines()[0] == "gender,estimate,lower,upper"
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


def test_stats_total_and_one_way(client: TestClient, published: dict[str, list[dict[str, Any]]]) -> None:
    total = client.get("/api/v1/stats").json()
    check_cells(total)
    row = published[""][0]
    assert [{k: c[k] for k in VALUES} for c in total["cells"]] == [{k: row[k] for k in VALUES}]
    assert total["cells"][0]["below_threshold"] is False
    assert "not prevalence" in total["caveat"] and "differentially private" in total["caveat"]
    assert total["contributors"] and total["years"]
    gender = client.get("/api/v1/stats?dims=gender").json()
    check_cells(gender)
    assert estimates(gender) == {(r["gender"],): r["estimate"] for r in published["gender"]}
    assert sum(estimates(gender).values()) == total["cells"][0]["estimate"]


def test_api_cells_equal_published_tables(
    client: TestClient, published: dict[str, list[dict[str, Any]]]
) -> None:
    """For every published table, /stats over its dimensions gives exactly its cells (estimate and interval)."""
    for t in client.get("/api/v1/tables").json()["tables"]:
        dims = t["dims"]
        body = client.get(f"/api/v1/stats?dims={','.join(dims)}").json()
        check_cells(body, t["name"])
        assert body["table"] == t["name"] and body["dims"] == dims
        got = {tuple(c[d] for d in dims): tuple(c[k] for k in VALUES) for c in body["cells"]}
        want = {
            tuple(r[d] for d in dims): tuple(r[k] for k in VALUES) for r in published[",".join(sorted(dims))]
        }
        assert got == want, t["name"]


def test_two_way_sums_over_one_dimension_equal_one_way(client: TestClient) -> None:
    """Every table is a tabulation of the same model: a 2-way summed over a (non-family) dimension is the
    1-way of the other."""
    checked = 0
    tables = client.get("/api/v1/tables").json()["tables"]
    one_way = {t["dims"][0]: t for t in tables if len(t["dims"]) == 1}
    for t in tables:
        if len(t["dims"]) != 2:
            continue
        both = client.get(f"/api/v1/stats?dims={','.join(t['dims'])}").json()
        for i, summed in enumerate(t["dims"]):
            if summed in FAMILIES:
                continue
            kept = t["dims"][1 - i]
            acc: dict[str, int] = {}
            for c in both["cells"]:
                acc[c[kept]] = acc.get(c[kept], 0) + c["estimate"]
            one = client.get(f"/api/v1/stats?dims={kept}").json()
            assert one["table"] == one_way[kept]["name"]
            assert {k: v for k, v in acc.items() if v} == {
                k[0]: v for k, v in estimates(one, nonzero=True).items()
            }, (
                t["name"],
                summed,
            )
            checked += 1
    assert checked > 40


def test_stats_sums_over_years(client: TestClient, published: dict[str, list[dict[str, Any]]]) -> None:
    body = client.get("/api/v1/stats?dims=gender&year_from=2016&year_to=2019").json()
    check_cells(body)
    assert body["table"] == "agg_yearofregistration_gender" and body["summed_over"] == ["yearOfRegistration"]
    want = expected(published["gender,yearOfRegistration"], ["gender"], {}, (2016, 2019))
    assert estimates(body) == want


def test_stats_family_never_summed(client: TestClient, published: dict[str, list[dict[str, Any]]]) -> None:
    one = client.get("/api/v1/stats?typeOfExploit=isForcedLabour").json()
    check_cells(one)
    row = next(r for r in published["typeOfExploit"] if r["typeOfExploit"] == "isForcedLabour")
    assert one["cells"][0]["estimate"] == row["estimate"] and one["table"] == "agg_typeofexploit"
    den = next(r for r in published["typeOfExploit"] if r["typeOfExploit"] == ANY_INFO)
    by_type = client.get("/api/v1/stats?dims=typeOfExploit").json()
    assert by_type["denominators"]["typeOfExploit"][0]["estimate"] == den["estimate"]
    dcell = by_type["denominators"]["typeOfExploit"][0]
    assert dcell["lower"] <= dcell["estimate"] <= dcell["upper"]
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
    assert lines[0] == "gender,ageBroad,estimate,lower,upper,below_threshold"
    j = client.get("/api/v1/stats?dims=gender,ageBroad").json()
    assert len(lines) == len(j["cells"]) + 1
    for line, c in zip(lines[1:], j["cells"], strict=True):
        assert line.split(",")[2:] == [
            str(c["estimate"]),
            str(c["lower"]),
            str(c["upper"]),
            "true" if c["below_threshold"] else "false",
        ]
    assert r.headers["etag"] != client.get("/api/v1/stats?dims=gender,ageBroad").headers["etag"]


def test_etag_304(client: TestClient) -> None:
    r = client.get("/api/v1/stats?dims=gender&year_from=2016")
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "public, no-cache"  # revalidated: a withdrawal shows at once
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
        ("dims=typeOfExploit,meansOfControl", 400, "multi-valued"),
        ("dims=gender&format=xml", 400, "format"),
    ],
)
def test_stats_bad_input(client: TestClient, query: str, status: int, words: str) -> None:
    r = client.get(f"/api/v1/stats?{query}")
    assert r.status_code == status, r.text
    body = r.json()
    assert words in body["message"] and "Traceback" not in r.text


@pytest.mark.parametrize(
    "query",
    [
        "dims=gender,contributor",
        "dims=gender,ageBroad&typeOfExploit=isForcedLabour&Datasource=Hotline",
        "dims=gender,majorityStatus&citizenship=FRA",
        "dims=CountryOfExploitation,ageBroad,gender&year_from=2018",
        "dims=citizenship_region,exploitation_region&gender=Female&typeOfExploit=isSexualExploit",
        "dims=meansOfControl&exploitation_country=USA&ageBroad=9--17",
    ],
)
def test_any_combination_is_answered(client: TestClient, query: str) -> None:
    """Combinations no single table covers are answered from the model, and agree with the total."""
    r = client.get(f"/api/v1/stats?{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    check_cells(body, query)
    if not set(body["dims"]) & FAMILIES:
        filters = "&".join(p for p in query.split("&") if not p.startswith("dims="))
        total = client.get(f"/api/v1/stats?{filters}").json()["cells"][0]["estimate"]
        assert sum(c["estimate"] for c in body["cells"]) == total, query


def _queries(vocab: dict[str, list[str]], rng: random.Random, n: int) -> Iterator[tuple[str, str]]:
    """Random (dims, filters) query strings over everything the release publishes."""
    dims = sorted(vocab)
    for _ in range(n):
        out: list[str] = []
        for d in rng.sample(dims, k=rng.randint(0, 3)):
            if d in FAMILIES and any(o in FAMILIES for o in out):
                continue
            out.append(d)
        params: list[tuple[str, str]] = []
        for d in rng.sample(sorted(FILTER_PARAM), k=rng.randint(0, 3)):
            vals = [v for v in vocab.get(d, []) if v != "Unknown" or rng.random() < 0.3]
            if not vals:
                continue
            many = d not in FAMILIES or not any(o in FAMILIES for o in out)
            pick = rng.sample(vals, k=min(len(vals), rng.randint(1, 3) if many else 1))
            params.append((FILTER_PARAM[d], ",".join(pick)))
        if rng.random() < 0.4:
            lo = rng.randint(2014, 2022)
            params += [("year_from", str(lo)), ("year_to", str(lo + rng.randint(0, 4)))]
        yield urlencode([("dims", ",".join(out))]), urlencode(params)


def test_every_combination_consistent(
    client: TestClient, published: dict[str, list[dict[str, Any]]], vocab: dict[str, list[str]]
) -> None:
    """Property-style: many dim/filter combinations are all answered; every cell has lower <= estimate <=
    upper; an answer from a table is the sum of its published cells (checked independently); and every
    breakdown (no flag family) sums to the total of the same filters, whichever source answered it."""
    rng = random.Random(7)
    tables = {t["name"]: t["dims"] for t in client.get("/api/v1/tables").json()["tables"]}
    answered = from_model = 0
    for dims, filters in _queries(vocab, rng, 260):
        query = f"{dims}&{filters}"
        r = client.get(f"/api/v1/stats?{query}")
        body = r.json()
        if r.status_code == 400 and "multi-valued" in body["message"]:
            continue  # two flag families broken down at once (a filter with several flags of one)
        assert r.status_code == 200, (query, r.text)
        answered += 1
        check_cells(body, query)
        f = body["filters"]
        keep = {d: set(f[p]) for d, p in FILTER_PARAM.items() if p in f}
        years = (f["year_from"], f["year_to"]) if "year_from" in f else None
        if body["table"] == "model":
            from_model += 1
        else:
            rows = published[",".join(sorted(tables[body["table"]]))]
            want = expected(rows, body["dims"], keep, years)
            assert estimates(body) == want, query
        if not set(body["dims"]) & FAMILIES:
            total = client.get(f"/api/v1/stats?{filters}").json()["cells"][0]["estimate"]
            assert sum(c["estimate"] for c in body["cells"]) == total, query
    assert answered > 200 and from_model > 20


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


@pytest.mark.parametrize("path", ["/", "/api/v1/stats?dims=gender", "/api/docs", "/healthz", "/nowhere"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    h = client.get(path).headers
    # the package's own scripts only: no inline script, no eval (Vega runs its expression interpreter)
    assert "script-src 'self';" in h["content-security-policy"]
    assert "unsafe-eval" not in h["content-security-policy"]
    assert "unsafe-inline" not in h["content-security-policy"].split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert (h["x-frame-options"], h["x-content-type-options"], h["referrer-policy"]) == (
        "DENY",
        "nosniff",
        "no-referrer",
    )


def test_empty_format_is_refused_and_errors_are_documented(client: TestClient) -> None:
    assert client.get("/api/v1/stats?dims=gender&format=").status_code == 400
    spec = client.get("/api/openapi.json").json()
    for path in ("/api/v1/stats", "/api/v1/releases/{release_id}/files/{path}"):
        responses = spec["paths"][path]["get"]["responses"]
        assert {"400", "404", "410"} <= set(responses), (path, responses)
    assert "text/csv" in spec["paths"]["/api/v1/stats"]["get"]["responses"]["200"]["content"]
