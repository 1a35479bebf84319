"""The access matrix: every route of the portal × every role, generated from the app's route table.

A new route is covered without editing this file; a route without a role check (other than signing in)
fails it. Allowed roles get anything but 401/403 (and never a server error, even with made-up path
parameters); other roles get 403; nobody signed in gets 401. A state-changing route writes exactly one
audit entry when it changes something (201/303) and none when it refuses. Routes of the public app
answer everyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ctdhub.portal import api_router, router
from ctdhub.publish.app import create_app
from ctdhub.store import Hub, init_store
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db

HTML = {"accept": "text/html"}
USERS = {
    acc.Role.ADMIN: ("ana", "admin password 1"),
    acc.Role.CONTRIBUTOR: ("cleo", "contrib password 1"),
    acc.Role.RESEARCHER: ("remy", "research password 1"),
}
TOKENS: dict[acc.Role, str] = {}
OPEN = {("/login", "GET"), ("/login", "POST")}  # signing in needs no account


def _roles_of(route: APIRoute) -> tuple[acc.Role, ...] | None:
    """The roles the route's `require(...)` (or token check) admits, from its dependency tree."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        roles = getattr(dep.call, "roles", None)
        if roles is not None:
            return tuple(roles)
        stack.extend(dep.dependencies)
    return None


def _portal_routes() -> Iterator[tuple[str, str, APIRoute]]:
    for r in [*router.routes, *api_router.routes]:
        assert isinstance(r, APIRoute)
        for method in sorted(r.methods):
            yield r.path, method, r


ROUTES = sorted((p, m) for p, m, _ in _portal_routes())
BY_KEY = {(p, m): r for p, m, r in _portal_routes()}


def _concrete(path: str) -> str:
    """A made-up value for each path parameter (a row number where the name says so)."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: "1" if "row" in m.group(1) else "no-such-thing", path)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    h, _ = init_store(Path(tmp_path_factory.mktemp("access")) / "hub")
    with access_db(h) as con:
        for role, (name, password) in USERS.items():
            acc.add_user(
                con,
                name,
                role,
                password,
                actor="test",
                org="test-org" if role is acc.Role.CONTRIBUTOR else None,
            )
            acc.accept_terms(
                con, name
            )  # the research files need the terms accepted: a role check comes first
        TOKENS.update({role: acc.create_token(con, name, actor="test") for role, (name, _) in USERS.items()})
    return h


def _client(hub: Hub, role: acc.Role | None) -> tuple[TestClient, str]:
    client = TestClient(create_app(hub.releases_dir, hub=hub), raise_server_exceptions=False)
    if role is None:
        return client, "anything"
    page = client.get("/login", headers=HTML).text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    name, password = USERS[role]
    r = client.post(
        "/login", data={"name": name, "password": password, "csrf": token.group(1)}, follow_redirects=False
    )
    assert r.status_code == 303
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/account", headers=HTML).text)
    assert csrf
    return client, csrf.group(1)


def _audit_count(hub: Hub) -> int:
    with access_db(hub) as con:
        row = con.execute("SELECT count(*) FROM audit_log").fetchone()
    return int(row[0]) if row else 0


def _call(client: TestClient, method: str, path: str, csrf: str, headers: dict[str, str]) -> Any:
    url = _concrete(path)
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    return client.request(method, url, data={"csrf": csrf}, headers=headers, follow_redirects=False)


def test_every_portal_route_checks_a_role() -> None:
    unchecked = [(p, m) for p, m, r in _portal_routes() if (p, m) not in OPEN and _roles_of(r) is None]
    assert not unchecked, f"routes without require(...): {unchecked}"
    assert len(ROUTES) >= len(OPEN) + 3


@pytest.mark.parametrize(("path", "method"), ROUTES)
def test_access_matrix(hub: Hub, path: str, method: str) -> None:
    route = BY_KEY[(path, method)]
    allowed = _roles_of(route)
    token_route = path.startswith("/api/")
    for role in (None, *USERS):
        client, csrf = _client(hub, None if token_route else role)
        headers = dict(HTML)
        if token_route and role is not None:
            headers = {"authorization": f"Bearer {TOKENS[role]}"}
        before = _audit_count(hub)
        r = _call(client, method, path, csrf, headers)
        after = _audit_count(hub)
        who = role.value if role else "anonymous"
        if (
            method != "GET" and path != "/login"
        ):  # a change writes one entry (a job when it ends); a refusal none
            assert after - before <= 1, (path, who, r.status_code, after - before)
            assert after == before or r.status_code in (201, 303), (path, who, r.status_code)
        assert r.status_code < 500, (path, method, who, r.status_code, r.text[:300])
        if (path, method) in OPEN:
            # the form is open to all; a POST without the form's own token is refused as forged
            assert r.status_code == (403 if method == "POST" else (303 if role else 200)), (
                path,
                who,
                r.status_code,
            )
        elif role is None:
            assert r.status_code == 401, (path, method, who, r.status_code)
        elif allowed is not None and role in allowed:
            assert r.status_code not in (401, 403), (path, method, who, r.status_code, r.text[:300])
        else:
            assert r.status_code == 403, (path, method, who, r.status_code)


def test_public_routes_answer_everyone_and_never_need_an_account(hub: Hub) -> None:
    client = TestClient(create_app(hub.releases_dir, hub=hub), raise_server_exceptions=False)
    for path in ("/api/docs", "/healthz", "/api/v1/releases", "/login"):
        assert client.get(path, headers=HTML).status_code not in (401, 403), path


def test_no_public_route_reaches_the_store_or_restricted_files(hub: Hub) -> None:
    client = TestClient(create_app(hub.releases_dir, hub=hub), raise_server_exceptions=False)
    for probe in (
        "/static/../../hub.duckdb",
        "/static/%2e%2e/%2e%2e/access.duckdb",
        "/api/v1/releases/0001/files/restricted/snapshot.parquet",
        "/api/v1/releases/0001/files/..%2frestricted%2fsnapshot.parquet",
        "/api/v1/releases/0001/files/research/kanon.csv",
        "/hub.duckdb",
        "/access.duckdb",
    ):
        r = client.get(probe)
        assert r.status_code in (400, 404), (probe, r.status_code)
