"""The hub team's pages (/admin): role checks, CSRF, one audit entry per change, accounts, organisations and
their mapping specs, batch approval, the release build in the background, the budget and the audit log."""

from __future__ import annotations

import html
import inspect
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import portal_helpers
from conftest import copy_demo_store
from ctdhub.errors import CtdhubError
from ctdhub.ingest import ingest_file
from ctdhub.portal import routes_admin
from ctdhub.publish.app import create_app
from ctdhub.store import Hub, init_store, open_store
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import entries
from ctdhub.store.batches import get_batch
from portal_helpers import HTML, form_csrf

PASSWORDS = {"ana": "admin password 1", "cleo": "contrib password 1", "remy": "research password 1"}
DATA = Path(__file__).resolve().parent / "data" / "ingest"
PAGES = (
    "/admin",
    "/admin/users",
    "/admin/orgs",
    "/admin/batches",
    "/admin/releases",
    "/admin/releases/build",
    "/admin/budget",
    "/admin/audit",
)
POSTS = (
    "/admin/users/add",
    "/admin/users/disable",
    "/admin/users/enable",
    "/admin/users/reset",
    "/admin/orgs/add",
    "/admin/orgs/mapping",
    "/admin/batches/approve",
    "/admin/batches/revert",
    "/admin/releases/build",
    "/admin/releases/withdraw",
)


def add_accounts(hub: Hub) -> None:
    with access_db(hub) as con:
        acc.add_user(con, "ana", acc.Role.ADMIN, PASSWORDS["ana"], actor="test")
        acc.add_user(con, "cleo", acc.Role.CONTRIBUTOR, PASSWORDS["cleo"], actor="test", org="harbour-ngo")
        acc.add_user(con, "remy", acc.Role.RESEARCHER, PASSWORDS["remy"], actor="test")


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    h, _ = init_store(tmp_path / "hub")
    add_accounts(h)
    return h


def new_client(hub: Hub) -> TestClient:
    return TestClient(create_app(hub.releases_dir, hub=hub))


@pytest.fixture
def client(hub: Hub) -> TestClient:
    return new_client(hub)


def sign_in(client: TestClient, name: str, password: str | None = None) -> str:
    """Sign in; return the CSRF token of the new session."""
    return portal_helpers.sign_in(client, name, password or PASSWORDS[name])


def audit_count(hub: Hub) -> int:
    return len(entries(hub))


def one_time_password(text: str) -> str:
    m = re.search(r"One-time password</dt><dd><code>([^<]+)</code>", text)
    assert m, "no one-time password on the page"
    return html.unescape(m.group(1))


def pending_batch(hub: Hub) -> str:
    """A contributor's upload waiting for approval: clean.csv ingested, then marked pending."""
    kwargs: dict[str, Any] = {}
    if "status" in inspect.signature(ingest_file).parameters:
        kwargs["status"] = "pending"
    report = ingest_file(hub, DATA / "clean.csv", "harbour-ngo", DATA / "test-org.yaml", **kwargs)
    with hub.writer() as con:
        con.execute("UPDATE batches SET status = 'pending' WHERE batch_id = ?", [report.batch_id])
    return report.batch_id


def test_every_page_is_for_the_hub_team_only(hub: Hub) -> None:
    anonymous, admin, contributor, researcher = (new_client(hub) for _ in range(4))
    sign_in(admin, "ana")
    sign_in(contributor, "cleo")
    sign_in(researcher, "remy")
    for page in PAGES:
        assert anonymous.get(page).status_code == 401, page
        assert contributor.get(page).status_code == 403, page
        assert researcher.get(page).status_code == 403, page
        r = admin.get(page, headers=HTML)
        assert r.status_code == 200, (page, r.text)
        assert r.headers["cache-control"] == "no-store"
        assert 'aria-label="Administration"' in r.text
    assert contributor.get("/admin", headers=HTML).status_code == 403  # a page for a browser, still 403
    before = audit_count(hub)
    for path in POSTS:
        assert anonymous.post(path, data={"csrf": "x"}).status_code == 401, path
        csrf = form_csrf(contributor.get("/account", headers=HTML).text)
        assert contributor.post(path, data={"csrf": csrf}).status_code == 403, path
    assert audit_count(hub) == before


def test_overview_counts(client: TestClient, hub: Hub) -> None:
    pending_batch(hub)
    sign_in(client, "ana")
    page = client.get("/admin", headers=HTML).text
    assert 'href="/admin/batches">1</a>' in page  # one batch waits, linked
    for link in ("/admin/users", "/admin/orgs", "/admin/releases", "/admin/budget", "/admin/audit"):
        assert f'href="{link}"' in page
    assert re.search(r"<dt>Accounts</dt><dd>3</dd>", page)


def test_forms_without_the_sessions_csrf_token_change_nothing(client: TestClient, hub: Hub) -> None:
    batch = pending_batch(hub)
    sign_in(client, "ana")
    forms: list[tuple[str, dict[str, str]]] = [
        ("/admin/users/add", {"name": "zoe", "role": "researcher"}),
        ("/admin/users/disable", {"name": "remy"}),
        ("/admin/users/reset", {"name": "remy"}),
        ("/admin/orgs/add", {"name": "other-ngo"}),
        ("/admin/orgs/mapping", {"name": "harbour-ngo", "builtin": "ctdc-synthetic"}),
        ("/admin/batches/approve", {"batch": batch}),
        ("/admin/batches/revert", {"batch": batch}),
        ("/admin/releases/build", {}),
        ("/admin/releases/withdraw", {"release": "0001", "reason": "test"}),
    ]
    before = audit_count(hub)
    for path, data in forms:
        for token in ({}, {"csrf": "forged"}):
            r = client.post(path, data={**data, **token}, follow_redirects=False)
            assert r.status_code == 403, (path, token, r.text)
    assert audit_count(hub) == before
    with access_db(hub) as con:
        users = {u.name: u for u in acc.list_users(con)}
        assert "zoe" not in users and not users["remy"].disabled
        assert acc.get_org(con, "other-ngo") is None
        org = acc.get_org(con, "harbour-ngo")
        assert org is not None and org.mapping is None
    with hub.connect() as con:
        assert get_batch(con, batch)["status"] == "pending"
    assert routes_admin._current_build(hub) is None


def test_add_user_shows_the_one_time_password_once(client: TestClient, hub: Hub) -> None:
    csrf = sign_in(client, "ana")
    before = audit_count(hub)
    r = client.post(
        "/admin/users/add",
        data={"csrf": csrf, "name": "Zoe", "role": "contributor", "org": "harbour-ngo"},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 200, r.text
    password = one_time_password(r.text)
    assert len(password) >= acc.MIN_PASSWORD
    assert r.headers["cache-control"] == "no-store" and password not in str(r.headers)
    log = entries(hub)
    assert len(log) == before + 1
    assert (log[0].actor, log[0].action, log[0].target) == ("ana", "user.add", "zoe")
    assert all(password not in f"{e.target} {e.detail}" for e in log)
    listing = client.get("/admin/users", headers=HTML).text
    assert "zoe" in listing and password not in listing
    other = new_client(hub)
    sign_in(other, "zoe", password)
    assert other.get("/account", headers=HTML).status_code == 200


def test_add_user_refusals_are_sentences(client: TestClient, hub: Hub) -> None:
    csrf = sign_in(client, "ana")
    before = audit_count(hub)
    for data, status, sentence in (
        ({"name": "remy", "role": "researcher"}, 400, "exists already"),
        ({"name": "x y", "role": "researcher"}, 400, "is not a usable user name"),
        ({"name": "zoe", "role": "contributor"}, 400, "A contributor belongs to an organisation"),
        ({"name": "zoe", "role": "contributor", "org": "river-ngo"}, 400, "There is no organisation"),
        ({"name": "zoe", "role": "researcher", "org": "harbour-ngo"}, 400, "Only contributors belong"),
        ({"name": "zoe", "role": "king"}, 400, "Choose the account&#39;s role."),
    ):
        r = client.post("/admin/users/add", data={"csrf": csrf, **data}, headers=HTML)
        assert r.status_code == status, r.text
        assert 'role="alert"' in r.text and sentence in r.text and "Traceback" not in r.text
    assert audit_count(hub) == before


def test_disable_ends_the_users_session_and_enable_lets_them_back(client: TestClient, hub: Hub) -> None:
    csrf = sign_in(client, "ana")
    remy = new_client(hub)
    sign_in(remy, "remy")
    assert remy.get("/account").status_code == 200
    before = audit_count(hub)
    r = client.post(
        "/admin/users/disable", data={"csrf": csrf, "name": "remy"}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/users?done=disabled"
    assert remy.get("/account").status_code == 401
    assert [(e.action, e.target) for e in entries(hub)][: audit_count(hub) - before] == [
        ("user.disable", "remy")
    ]
    page = client.get(r.headers["location"], headers=HTML).text
    assert "its sessions and tokens stopped working" in page and "disabled" in page
    r = client.post(
        "/admin/users/enable", data={"csrf": csrf, "name": "remy"}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 303 and audit_count(hub) == before + 2
    sign_in(remy, "remy")
    before = audit_count(hub)  # the sign-in was audited too
    # one's own account is not disabled from here (the hub team could lock itself out)
    r = client.post("/admin/users/disable", data={"csrf": csrf, "name": "ana"}, headers=HTML)
    assert r.status_code == 400 and "cannot disable your own account" in r.text
    r = client.post("/admin/users/disable", data={"csrf": csrf, "name": "nobody"}, headers=HTML)
    assert r.status_code == 400 and "There is no user" in r.text
    assert audit_count(hub) == before


def test_reset_gives_a_new_one_time_password(client: TestClient, hub: Hub) -> None:
    csrf = sign_in(client, "ana")
    cleo = new_client(hub)
    sign_in(cleo, "cleo")
    before = audit_count(hub)
    r = client.post("/admin/users/reset", data={"csrf": csrf, "name": "cleo"}, headers=HTML)
    assert r.status_code == 200 and "Password reset" in r.text
    password = one_time_password(r.text)
    log = entries(hub)
    assert len(log) == before + 1 and (log[0].action, log[0].target) == ("user.reset", "cleo")
    assert cleo.get("/account").status_code == 401  # the old session ended
    token = form_csrf(cleo.get("/login", headers=HTML).text)
    old = cleo.post("/login", data={"name": "cleo", "password": PASSWORDS["cleo"], "csrf": token})
    assert old.status_code == 401
    sign_in(cleo, "cleo", password)
    r = client.post("/admin/users/reset", data={"csrf": csrf, "name": "ana"}, headers=HTML)
    assert r.status_code == 400 and "your account page" in r.text


def test_organisations_and_their_mapping_specs(client: TestClient, hub: Hub) -> None:
    csrf = sign_in(client, "ana")
    before = audit_count(hub)
    r = client.post(
        "/admin/orgs/add",
        data={"csrf": csrf, "name": "delta-aid", "builtin": "ctdc-synthetic"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and audit_count(hub) == before + 1
    r = client.post("/admin/orgs/add", data={"csrf": csrf, "name": "delta-aid"}, headers=HTML)
    assert r.status_code == 400 and "exists already" in r.text
    # a broken spec: its problems shown with line and field, nothing changed, nothing audited
    bad = (DATA / "bad-spec.yaml").read_bytes()
    r = client.post(
        "/admin/orgs/mapping",
        data={"csrf": csrf, "name": "harbour-ngo"},
        files={"spec": ("harbour.yaml", bad, "application/yaml")},
        headers=HTML,
    )
    assert r.status_code == 400, r.text
    assert 'role="alert"' in r.text and "harbour.yaml, line 5, field columns.age" in r.text
    assert "line 6, field columns.nationality" in r.text and "ctdhub-spec-" not in r.text
    assert audit_count(hub) == before + 1
    r = client.post(
        "/admin/orgs/mapping",
        data={"csrf": csrf, "name": "harbour-ngo", "builtin": "ctdc-synthetic"},
        files={"spec": ("harbour.yaml", bad, "application/yaml")},
        headers=HTML,
    )
    assert r.status_code == 400 and "not both" in r.text
    # a good spec is kept as its text; a built-in one by its name
    good = (DATA / "test-org.yaml").read_text(encoding="utf-8")
    r = client.post(
        "/admin/orgs/mapping",
        data={"csrf": csrf, "name": "harbour-ngo"},
        files={"spec": ("test-org.yaml", good.encode(), "application/yaml")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/orgs?done=mapping"
    log = entries(hub)
    assert len(log) == before + 2 and (log[0].action, log[0].target) == ("org.mapping", "harbour-ngo")
    with access_db(hub) as con:
        org = acc.get_org(con, "harbour-ngo")
        assert org is not None and org.mapping == good
        delta = acc.get_org(con, "delta-aid")
        assert delta is not None and delta.mapping == "ctdc-synthetic"
    page = client.get("/admin/orgs", headers=HTML).text
    assert "built-in: ctdc-synthetic" in page and "uploaded spec" in page
    assert 'id="mapping-file"' in page and 'for="mapping-file"' in page


def test_approve_then_revert_a_pending_batch(client: TestClient, hub: Hub) -> None:
    batch = pending_batch(hub)
    csrf = sign_in(client, "ana")
    page = client.get("/admin/batches", headers=HTML).text
    assert batch in page and "waiting for approval" in page and f'aria-label="Approve {batch}"' in page
    before = audit_count(hub)
    r = client.post("/admin/batches/approve", data={"csrf": csrf, "batch": batch}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/batches?done=approved"
    with hub.connect() as con:
        assert get_batch(con, batch)["status"] == "active"
    log = entries(hub)
    assert len(log) == before + 1
    assert (log[0].actor, log[0].action, log[0].target) == ("ana", "batch.approve", batch)
    assert log[0].remote == "testclient"
    # approving it again is refused with a sentence, and audits nothing
    r = client.post("/admin/batches/approve", data={"csrf": csrf, "batch": batch}, headers=HTML)
    assert r.status_code == 409 and "not waiting for approval" in r.text and 'role="alert"' in r.text
    assert audit_count(hub) == before + 1
    r = client.post("/admin/batches/revert", data={"csrf": csrf, "batch": batch}, follow_redirects=False)
    assert r.status_code == 303
    with hub.connect() as con:
        assert get_batch(con, batch)["status"] == "reverted"
    log = entries(hub)
    assert len(log) == before + 2 and (log[0].action, log[0].detail) == ("batch.revert", "5 cases removed")
    r = client.post("/admin/batches/approve", data={"csrf": csrf, "batch": "nope"}, headers=HTML)
    assert r.status_code == 409 and "There is no batch" in r.text


def test_a_build_runs_one_at_a_time_and_shows_its_stage_then_its_error(
    client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, go_on = threading.Event(), threading.Event()

    def fake_create(hub_: Hub, policy: str | None, *, progress: Callable[[str], None] | None = None) -> None:
        assert policy is None  # the default policy, as 'ctdhub release create' without --policy
        assert progress is not None
        progress("measure")
        started.set()
        go_on.wait(20)
        raise CtdhubError("The store holds no cases to release.", hint="Ingest files first.")

    monkeypatch.setattr(routes_admin, "create_release", fake_create)
    csrf = sign_in(client, "ana")
    before = audit_count(hub)
    r = client.post("/admin/releases/build", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/releases/build"
    assert started.wait(10)
    status = client.get("/admin/releases/build", headers=HTML)
    assert status.status_code == 200 and status.headers["refresh"] == "3"
    assert '<meta http-equiv="refresh" content="3">' in status.text
    assert "Step 2 of 4: measuring the snapshot" in status.text and "Started by ana" in status.text
    again = client.post("/admin/releases/build", data={"csrf": csrf}, headers=HTML)
    assert again.status_code == 409 and "being built already" in again.text
    go_on.set()
    for _ in range(200):
        build = routes_admin._current_build(hub)
        if build is not None and not build.running:
            break
        time.sleep(0.05)
    done = client.get("/admin/releases/build", headers=HTML)
    assert "refresh" not in done.headers and 'http-equiv="refresh"' not in done.text
    assert (
        'role="alert"' in done.text
        and "The store holds no cases to release. Ingest files first." in done.text
    )
    assert audit_count(hub) == before  # nothing was released, so nothing is recorded


def test_audit_log_page_filters(client: TestClient, hub: Hub) -> None:
    csrf = sign_in(client, "ana")
    client.post("/admin/users/disable", data={"csrf": csrf, "name": "remy"})
    page = client.get("/admin/audit?user=ana", headers=HTML).text
    assert "user.disable" in page and "user.add" not in page  # the fixture's accounts were added by "test"
    page = client.get("/admin/audit?since=2999-01-01", headers=HTML).text
    assert "No entries." in page
    r = client.get("/admin/audit?since=yesterday", headers=HTML)
    assert r.status_code == 400 and "is not a date" in r.text and 'role="alert"' in r.text
    page = client.get("/admin/audit", headers=HTML).text
    assert page.index("user.disable") < page.index("user.add")  # newest first
    assert 'for="audit-since"' in page and 'for="audit-user"' in page


def test_budget_of_a_store_without_releases(client: TestClient) -> None:
    sign_in(client, "ana")
    page = client.get("/admin/budget", headers=HTML).text
    assert "No release has spent any of the budget yet." in page
    assert re.search(r"<dt>Lifetime ε spent</dt><dd>0</dd>", page)
    assert re.search(r"<dt>More releases at ε = 4</dt><dd>\d+</dd>", page)


def test_build_a_release_from_the_page_then_withdraw_it(demo_store: Path, tmp_path: Path) -> None:
    hub = open_store(copy_demo_store(demo_store, tmp_path / "hub"))
    add_accounts(hub)
    client = new_client(hub)
    csrf = sign_in(client, "ana")
    before = audit_count(hub)
    r = client.post("/admin/releases/build", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = client.get("/admin/releases/build", headers=HTML)
        if "refresh" not in status.headers:
            break
        time.sleep(1)
    assert "Release 0001 is built" in status.text, status.text
    log = entries(hub)
    assert len(log) == before + 1
    assert (log[0].actor, log[0].action, log[0].target, log[0].detail) == (
        "ana",
        "release.create",
        "0001",
        "epsilon=4",
    )
    page = client.get("/admin/releases", headers=HTML).text
    assert '<th scope="row">0001</th>' in page and "served" in page
    budget = client.get("/admin/budget", headers=HTML).text
    assert '<th scope="row">0001</th>' in budget and re.search(r"<dt>Lifetime ε spent</dt><dd>4</dd>", budget)
    overview = client.get("/admin", headers=HTML).text
    assert 'href="/admin/releases">0001</a>' in overview
    # withdrawal needs a reason
    r = client.post(
        "/admin/releases/withdraw", data={"csrf": csrf, "release": "0001", "reason": " "}, headers=HTML
    )
    assert r.status_code == 400 and "Say why" in r.text and audit_count(hub) == before + 1
    r = client.post(
        "/admin/releases/withdraw",
        data={"csrf": csrf, "release": "0001", "reason": "a contributor's file was wrong"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/releases?done=withdrawn"
    log = entries(hub)
    assert len(log) == before + 2 and (log[0].action, log[0].target) == ("release.withdraw", "0001")
    page = client.get("/admin/releases", headers=HTML).text
    assert "withdrawn on" in page and "a contributor&#39;s file was wrong" in page
    r = client.post(
        "/admin/releases/withdraw", data={"csrf": csrf, "release": "0001", "reason": "again"}, headers=HTML
    )
    assert r.status_code == 409 and "already withdrawn" in r.text and audit_count(hub) == before + 2
