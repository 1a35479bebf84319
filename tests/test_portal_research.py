"""The researcher role: data-use terms, the research tier of a release (the opt-in k-anonymised records),
downloads recorded in the audit log — and the public app, which never lists or serves those records.

Over a copy of the session's demo store and release (conftest's DEMO_POLICY switches k-anonymity on), with
accounts added to its access database; browsers sign in through /login like a person would.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import copy_demo_store
from ctdhub.publish import DisclosureError, Gate
from ctdhub.publish.app import create_app
from ctdhub.release.registry import RESEARCH_DIR, read_research, research_file, withdraw_release
from ctdhub.store import Hub, init_store
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import entries
from portal_helpers import csrf_of, signed_in

PASSWORD = "correct horse battery staple"
KANON_FILES = ("kanon.csv", "kanon.parquet")
FILE = "/research/files/0001/kanon.csv"


def _hub(demo_release: Path, dest: Path) -> Hub:
    """A writable copy of the demo store (release 0001 included) with one account of each role."""
    hub, created = init_store(copy_demo_store(demo_release.parents[1], dest))
    assert not created
    with access_db(hub) as con:
        acc.add_user(con, "rita", acc.Role.RESEARCHER, PASSWORD, actor="test")
        acc.add_user(con, "carl", acc.Role.CONTRIBUTOR, PASSWORD, actor="test", org="ngo-a")
        acc.add_user(con, "ada", acc.Role.ADMIN, PASSWORD, actor="test")
    return hub


@pytest.fixture(scope="module")
def hub(demo_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Hub:
    return _hub(demo_release, tmp_path_factory.mktemp("research") / "hub")


@pytest.fixture(scope="module")
def app_client(hub: Hub) -> Iterator[TestClient]:
    """An anonymous browser of the app with the portal."""
    with TestClient(create_app(hub.releases_dir, hub=hub)) as c:
        yield c


def sign_in(hub: Hub, name: str) -> TestClient:
    return signed_in(hub, name, PASSWORD)


def audit(hub: Hub, action: str, user: str | None = None) -> list[str]:
    return [e.target for e in entries(hub, user=user) if e.action == action]


def accept(hub: Hub, client: TestClient) -> None:
    r = client.post("/research/terms", data={"csrf": csrf_of(client), "agree": "yes"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/research?done=terms"


# --- who may see what ---------------------------------------------------------------------------------------


def test_anonymous_is_401_and_a_contributor_403(hub: Hub, app_client: TestClient) -> None:
    for url in ("/research", FILE):
        assert app_client.get(url).status_code == 401, url
    assert app_client.post("/research/terms", data={"agree": "yes"}).status_code == 401
    page = app_client.get("/research", headers={"Accept": "text/html"})
    assert page.status_code == 401 and "/login?next=" in page.text
    with sign_in(hub, "carl") as carl:
        for url in ("/research", FILE):
            assert carl.get(url).status_code == 403, url
        assert carl.post("/research/terms", data={"csrf": "x", "agree": "yes"}).status_code == 403
    assert audit(hub, "download.restricted") == [] and audit(hub, "terms.accept") == []


def test_researcher_accepts_the_terms_once_then_downloads(hub: Hub, demo_release: Path) -> None:
    with sign_in(hub, "rita") as rita:
        page = rita.get("/research")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "Data-use terms" in page.text and 'action="/research/terms"' in page.text
        assert "re-identif" in page.text or "identify any person" in page.text
        assert "kanon.csv" not in page.text  # no products before the terms are accepted
        # before the terms: 403, with a sentence saying what to do (JSON for a script, a page for a browser)
        refused = rita.get(FILE)
        assert refused.status_code == 403 and "Accept the data-use terms" in refused.text
        html = rita.get(FILE, headers={"Accept": "text/html"})
        assert html.status_code == 403 and "Accept the data-use terms" in html.text
        assert audit(hub, "download.restricted") == []
        # the form needs its CSRF token and the box ticked
        assert rita.post("/research/terms", data={"agree": "yes"}).status_code == 403
        assert rita.post("/research/terms", data={"csrf": "forged", "agree": "yes"}).status_code == 403
        unticked = rita.post("/research/terms", data={"csrf": csrf_of(rita)})
        assert unticked.status_code == 400 and "Tick the box" in unticked.text
        assert audit(hub, "terms.accept", "rita") == []
        accept(hub, rita)
        assert audit(hub, "terms.accept", "rita") == ["rita"]
        accept(hub, rita)  # again: nothing changes, nothing is recorded
        assert audit(hub, "terms.accept", "rita") == ["rita"]

        page = rita.get("/research?done=terms").text
        assert "You accepted the data-use terms" in page and 'action="/research/terms"' not in page
        for name in KANON_FILES:
            assert f'href="/research/files/0001/{name}"' in page
        products = read_research(demo_release)
        assert f"{products[0].rows:,}" in page  # the records the file holds
        assert 'href="/api/v1/releases/0001/files/data/synthetic.csv"' in page  # public products linked
        assert 'href="/downloads?release=0001"' in page

        r = rita.get(FILE)
        assert r.status_code == 200
        assert r.content == (demo_release / RESEARCH_DIR / "kanon.csv").read_bytes()
        assert (
            r.headers["content-disposition"].startswith("attachment")
            and "kanon.csv" in r.headers["content-disposition"]
        )
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["content-type"].startswith("text/csv")
        assert audit(hub, "download.restricted", "rita") == ["0001/kanon.csv"]
        assert rita.get("/research/files/0001/kanon.parquet").status_code == 200
        assert audit(hub, "download.restricted", "rita") == ["0001/kanon.parquet", "0001/kanon.csv"]
        head = rita.head("/research/files/0001/kanon.csv")
        assert head.status_code == 200 and head.content == b""
        assert len(audit(hub, "download.restricted", "rita")) == 2  # a HEAD sends no file: not a download


def test_an_admin_needs_the_terms_too(hub: Hub) -> None:
    with sign_in(hub, "ada") as ada:
        assert ada.get("/research").status_code == 200
        assert ada.get(FILE).status_code == 403
        accept(hub, ada)
        assert ada.get(FILE).status_code == 200
    assert audit(hub, "terms.accept", "ada") == ["ada"]
    assert audit(hub, "download.restricted", "ada") == ["0001/kanon.csv"]


TRAVERSALS = (
    "/research/files/0001/..%2Frestricted%2Fsnapshot.parquet",
    "/research/files/0001/..%2F..%2F0001%2Frestricted%2Fmanifest.json",
    "/research/files/0001/restricted/snapshot.parquet",
    "/research/files/0001/restricted%2Fsnapshot.parquet",
    "/research/files/0001/snapshot.parquet",
    "/research/files/0001/manifest.json",  # the research manifest itself is not a product
    "/research/files/0001/release.json",
    "/research/files/0001/%2e%2e%2frelease.json",
    "/research/files/0001/%2Fetc%2Fpasswd",
    "/research/files/0001//etc/passwd",
    "/research/files/0001/%2Fetc/passwd",
    "/research/files/0001/kanon.csv%00.txt",
    "/research/files/0001/..",
    "/research/files/..%2F0001/kanon.csv",
    "/research/files/..%2F..%2Fhub.duckdb/x",
    "/research/files/9999/kanon.csv",
    "/research/files/latest/kanon.csv",
    "/research/files/0001/data%2Fsynthetic.csv",
)


def test_no_traversal_reaches_anything_else(hub: Hub) -> None:
    with sign_in(hub, "rita") as rita:
        accept(hub, rita)
        before = len(audit(hub, "download.restricted"))
        for url in TRAVERSALS:
            r = rita.get(url)
            assert r.status_code in (403, 404), (url, r.status_code)
            assert b"PAR1" not in r.content and b"case_id" not in r.content, url
        assert len(audit(hub, "download.restricted")) == before


def test_research_file_is_confined_to_the_research_folder(demo_release: Path, tmp_path: Path) -> None:
    """Names the research manifest does not list, names with a folder, and a listed name that is a link
    leading out of the folder: none is served."""
    for bad in ("../restricted/snapshot.parquet", "/etc/passwd", "restricted/snapshot.parquet", "..", ""):
        assert research_file(demo_release, bad) is None, bad
    copy = Path(shutil.copytree(demo_release, tmp_path / "0001", symlinks=True))
    manifest = copy / RESEARCH_DIR / "manifest.json"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    files = doc["products"][0]["files"]
    files.append({**files[0], "name": "evil.parquet"})
    manifest.write_text(json.dumps(doc), encoding="utf-8")
    os.symlink(copy / "restricted" / "snapshot.parquet", copy / RESEARCH_DIR / "evil.parquet")
    assert research_file(copy, "evil.parquet") is None
    found = research_file(copy, "kanon.csv")
    assert found is not None and found[0] == (copy / RESEARCH_DIR / "kanon.csv").resolve()


def test_a_withdrawn_release_is_neither_listed_nor_served(demo_release: Path, tmp_path: Path) -> None:
    hub = _hub(demo_release, tmp_path / "hub")
    with sign_in(hub, "rita") as rita:
        accept(hub, rita)
        assert rita.get(FILE).status_code == 200
        withdraw_release(hub.releases_dir, "0001", "test: a disclosure was found")
        assert rita.get(FILE).status_code == 410
        page = rita.get("/research").text
        assert "kanon.csv" not in page and "No release is published yet" in page
    assert audit(hub, "download.restricted", "rita") == ["0001/kanon.csv"]


# --- the public never sees the research tier ----------------------------------------------------------------


PUBLIC_REFUSED = (
    "/api/v1/releases/0001/files/research/kanon.csv",
    "/api/v1/releases/0001/files/research/kanon.parquet",
    "/api/v1/releases/0001/files/research/manifest.json",
    "/api/v1/releases/0001/files/research%2Fkanon.csv",
    "/api/v1/releases/0001/files/data/kanon.csv",
    "/api/v1/releases/0001/files/data/../research/kanon.csv",
    "/api/v1/releases/0001/files/data%2F..%2Fresearch%2Fkanon.csv",
)


@pytest.mark.parametrize("with_hub", [False, True])
def test_public_app_never_lists_or_serves_the_kanon_file(hub: Hub, with_hub: bool) -> None:
    app = create_app(hub.releases_dir, hub=hub) if with_hub else create_app(hub.releases_dir)
    with TestClient(app) as client:
        for url in PUBLIC_REFUSED:
            assert client.get(url).status_code == 404, url
        if not with_hub:  # no portal without the store
            assert client.get("/research").status_code == 404
            assert client.get(FILE).status_code == 404
        release = client.get("/api/v1/releases/0001")
        assert release.status_code == 200
        names = {r["name"] for r in release.json()["resources"]}
        assert "kanon" not in names and "synthetic" in names
        for url in ("/api/v1/releases/0001", "/api/v1/releases", "/downloads", "/about", "/api/v1/tables"):
            text = client.get(url).text
            assert all(f not in text for f in KANON_FILES) and "research/" not in text, url
        for url in (
            "/api/v1/releases/0001/files/datapackage.json",
            "/api/v1/releases/0001/files/checksums.sha256",
        ):
            text = client.get(url).text
            assert "kanon" not in text and "research/" not in text, url


def test_no_public_file_of_the_release_names_the_kanon_file(demo_release: Path) -> None:
    public = [
        p
        for p in demo_release.rglob("*")
        if p.is_file() and p.relative_to(demo_release).parts[0] not in ("restricted", RESEARCH_DIR)
    ]
    assert len(public) > 20
    for p in public:
        data = p.read_bytes()
        for needle in (*KANON_FILES, "research/", "research\\"):
            assert needle.encode() not in data, (p.relative_to(demo_release), needle)
    # the public manifest still describes the product (k, levels), not its files or exact row count
    m = json.loads((demo_release / "release.json").read_text(encoding="utf-8"))
    assert m["kanon"]["k"] == 5 and m["kanon"]["levels"] and "rows" not in m["kanon"]
    assert "kanon" not in m["resources"]
    assert [p.name for p in read_research(demo_release)] == ["kanon"]


def test_gate_refuses_the_kanon_file_an_older_release_listed(demo_release: Path, tmp_path: Path) -> None:
    """A release built before the research tier listed its k-anonymised records publicly (data/kanon.*):
    the gate leaves them out of its resources and refuses their files."""
    copy = Path(shutil.copytree(demo_release, tmp_path / "releases" / "0001"))
    shutil.copy(copy / RESEARCH_DIR / "kanon.csv", copy / "data" / "kanon.csv")
    dp = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    dp["resources"].append(
        {"name": "kanon", "path": "data/kanon.csv", "format": "csv", "ctdhub:role": "microdata-kanon"}
    )
    (copy / "datapackage.json").write_text(json.dumps(dp), encoding="utf-8")
    view = Gate(copy.parent).release("0001")
    assert "kanon" not in {r["name"] for r in view.resources()}
    for bad in ("data/kanon.csv", "research/kanon.csv", "research/manifest.json"):
        with pytest.raises(DisclosureError):
            view.file(bad)
    with pytest.raises(DisclosureError):
        view.table("kanon")
    with TestClient(create_app(copy.parent)) as client:
        assert client.get("/api/v1/releases/0001/files/data/kanon.csv").status_code == 404
        assert "data/kanon.csv" not in client.get("/downloads").text
