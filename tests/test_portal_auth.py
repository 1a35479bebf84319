"""Accounts and signing in: passwords, sessions, CSRF, fixation, brute force, tokens, the CLI, the audit log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import portal_helpers
from ctdhub.cli import cli
from ctdhub.portal.auth import SESSION_COOKIE
from ctdhub.publish.app import create_app
from ctdhub.store import Hub, init_store
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import entries
from portal_helpers import HTML, form_csrf

PASSWORDS = {"ana": "admin password 1", "cleo": "contrib password 1", "remy": "research password 1"}


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    h, _ = init_store(tmp_path / "hub")
    with access_db(h) as con:
        acc.add_user(con, "ana", acc.Role.ADMIN, PASSWORDS["ana"], actor="test")
        acc.add_user(con, "cleo", acc.Role.CONTRIBUTOR, PASSWORDS["cleo"], actor="test", org="harbour-ngo")
        acc.add_user(con, "remy", acc.Role.RESEARCHER, PASSWORDS["remy"], actor="test")
    return h


@pytest.fixture
def client(hub: Hub) -> TestClient:
    return TestClient(create_app(hub.releases_dir, hub=hub))


def sign_in(client: TestClient, name: str, password: str | None = None) -> str:
    """Sign in; return the CSRF token of the new session."""
    return portal_helpers.sign_in(client, name, password or PASSWORDS[name])


def test_password_is_hashed_with_argon2_and_never_stored_plain(hub: Hub) -> None:
    with access_db(hub) as con:
        stored = con.execute("SELECT password_hash FROM users WHERE name = 'ana'").fetchone()
    assert stored and str(stored[0]).startswith("$argon2id$") and PASSWORDS["ana"] not in str(stored[0])
    raw = (hub.path / "access.duckdb").read_bytes()
    assert PASSWORDS["ana"].encode() not in raw


def test_sign_in_goes_to_the_roles_home_with_a_hardened_cookie(client: TestClient) -> None:
    token = form_csrf(client.get("/login", headers=HTML).text)
    r = client.post(
        "/login", data={"name": "cleo", "password": PASSWORDS["cleo"], "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/contribute"
    cookie = r.headers["set-cookie"].lower()
    assert SESSION_COOKIE in cookie and "httponly" in cookie and "samesite=lax" in cookie
    page = client.get("/account", headers=HTML)
    assert page.status_code == 200 and "cleo" in page.text and "harbour-ngo" in page.text


def test_wrong_password_and_unknown_user_answer_alike(client: TestClient, hub: Hub) -> None:
    for name, password in (("ana", "not the password"), ("nobody", "whatever password")):
        token = form_csrf(client.get("/login", headers=HTML).text)
        r = client.post("/login", data={"name": name, "password": password, "csrf": token}, headers=HTML)
        assert r.status_code == 401 and "The user name or the password is wrong." in r.text
    assert [e.action for e in entries(hub)][:2] == ["login.failed", "login.failed"]


def test_login_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/login", headers=HTML)
    r = client.post(
        "/login", data={"name": "ana", "password": PASSWORDS["ana"], "csrf": "forged"}, headers=HTML
    )
    assert r.status_code == 403
    fresh = TestClient(client.app)  # no cookie at all: a cross-site form post
    r = fresh.post("/login", data={"name": "ana", "password": PASSWORDS["ana"], "csrf": "x"}, headers=HTML)
    assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_session_fixation_a_planted_cookie_is_replaced_at_sign_in(client: TestClient) -> None:
    token = form_csrf(client.get("/login", headers=HTML).text)
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker")
    r = client.post(
        "/login", data={"name": "ana", "password": PASSWORDS["ana"], "csrf": token}, follow_redirects=False
    )
    issued = re.search(SESSION_COOKIE + r"=([^;]+)", r.headers["set-cookie"])
    assert r.status_code == 303 and issued and issued.group(1) != "planted-by-an-attacker"
    attacker = TestClient(client.app)
    attacker.cookies.set(SESSION_COOKIE, "planted-by-an-attacker")
    assert attacker.get("/account", headers=HTML).status_code == 401
    other = TestClient(client.app)
    sign_in(other, "ana")
    assert other.cookies.get(SESSION_COOKIE) != issued.group(1)  # every sign-in gets its own session key


def test_a_forged_or_tampered_cookie_is_not_a_session(client: TestClient) -> None:
    sign_in(client, "ana")
    good = client.cookies.get(SESSION_COOKIE)
    assert good
    client.cookies.set(SESSION_COOKIE, good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    assert client.get("/account", headers=HTML).status_code == 401


def test_brute_force_is_slowed_after_five_failures(client: TestClient, hub: Hub) -> None:
    for _ in range(acc.LOGIN_MAX_FAILURES):
        token = form_csrf(client.get("/login", headers=HTML).text)
        client.post(
            "/login", data={"name": "ana", "password": "guess guess guess", "csrf": token}, headers=HTML
        )
    token = form_csrf(client.get("/login", headers=HTML).text)
    r = client.post("/login", data={"name": "ana", "password": PASSWORDS["ana"], "csrf": token}, headers=HTML)
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text  # even the right password waits


def test_logout_needs_csrf_and_ends_the_session_for_good(client: TestClient) -> None:
    csrf = sign_in(client, "remy")
    kept = client.cookies.get(SESSION_COOKIE)
    assert client.post("/logout", data={"csrf": "wrong"}, headers=HTML).status_code == 403
    assert client.get("/account", headers=HTML).status_code == 200
    r = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    replay = TestClient(client.app)
    replay.cookies.set(SESSION_COOKIE, kept or "")
    assert replay.get("/account", headers=HTML).status_code == 401  # the old cookie no longer works


def test_change_password_ends_other_sessions(client: TestClient) -> None:
    other = TestClient(client.app)
    sign_in(other, "cleo")
    csrf = sign_in(client, "cleo")
    new = "a brand new password"
    r = client.post(
        "/account/password",
        data={"current": PASSWORDS["cleo"], "new": new, "repeat": new, "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get("/account", headers=HTML).status_code == 200
    assert other.get("/account", headers=HTML).status_code == 401
    third = TestClient(client.app)
    sign_in(third, "cleo", new)


def test_change_password_refuses_short_and_wrong(client: TestClient) -> None:
    csrf = sign_in(client, "cleo")
    r = client.post(
        "/account/password",
        data={"current": PASSWORDS["cleo"], "new": "short", "repeat": "short", "csrf": csrf},
    )
    assert r.status_code == 400 and "too short" in r.text
    r = client.post(
        "/account/password",
        data={
            "current": "not it at all",
            "new": "long enough pw 1",
            "repeat": "long enough pw 1",
            "csrf": csrf,
        },
    )
    assert r.status_code == 400 and "current password is wrong" in r.text


def test_disabled_user_is_signed_out_and_cannot_sign_in(client: TestClient, hub: Hub) -> None:
    sign_in(client, "remy")
    with access_db(hub) as con:
        acc.set_disabled(con, "remy", True, actor="test")
    assert client.get("/account", headers=HTML).status_code == 401
    token = form_csrf(client.get("/login", headers=HTML).text)
    r = client.post(
        "/login", data={"name": "remy", "password": PASSWORDS["remy"], "csrf": token}, headers=HTML
    )
    assert r.status_code == 401


def test_open_redirect_after_sign_in_is_refused(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client.cookies.clear()
        token = form_csrf(client.get("/login", headers=HTML).text)
        r = client.post(
            "/login",
            data={"name": "ana", "password": PASSWORDS["ana"], "csrf": token, "next": target},
            follow_redirects=False,
        )
        assert r.headers["location"] == "/admin", target


def test_browser_and_api_refusals(client: TestClient) -> None:
    r = client.get("/account", headers=HTML)
    assert r.status_code == 401 and "text/html" in r.headers["content-type"] and "/login?next=" in r.text
    r = client.get("/account")
    assert r.status_code == 401 and r.json()["message"] == "Sign in to see this page."


def test_public_app_has_no_portal(tmp_path: Path) -> None:
    hub, _ = init_store(tmp_path / "public")
    public = TestClient(create_app(hub.releases_dir))
    for path in ("/login", "/account", "/admin", "/contribute", "/research"):
        assert public.get(path).status_code == 404, path
    assert not (hub.path / "access.duckdb").exists()  # the public app never opens the access database


def test_public_pages_link_to_sign_in_only_where_the_portal_is_served(demo_release: Path) -> None:
    with_portal = TestClient(create_app(demo_release.parent, hub=Hub(demo_release.parents[1])))
    public = TestClient(create_app(demo_release.parent))
    assert 'href="/login">Sign in</a>' in with_portal.get("/about", headers=HTML).text
    assert 'href="/login?lang=fr">' in with_portal.get("/about?lang=fr", headers=HTML).text
    assert "/login" not in public.get("/about", headers=HTML).text


def test_tokens_sign_scripts_in_and_can_be_revoked(hub: Hub) -> None:
    with access_db(hub) as con:
        token = acc.create_token(con, "cleo", actor="test")
        assert acc.token_user(con, token) is not None
        assert acc.token_user(con, token[:-1] + ("x" if token[-1] != "x" else "y")) is None
        assert acc.token_user(con, "ctd_nonsense") is None
        token_id = token.split("_")[1]
        acc.revoke_token(con, token_id, actor="test")
        assert acc.token_user(con, token) is None
        raw = con.execute("SELECT secret_sha256 FROM tokens").fetchone()
    assert raw and token.split("_", 2)[2] not in str(raw[0])


def test_user_rules(hub: Hub) -> None:
    with access_db(hub) as con:
        with pytest.raises(acc.UsageError, match="organisation"):
            acc.add_user(con, "orgless", acc.Role.CONTRIBUTOR, "long enough password", actor="t")
        with pytest.raises(acc.UsageError, match="Only contributors"):
            acc.add_user(con, "adm2", acc.Role.ADMIN, "long enough password", actor="t", org="X")
        with pytest.raises(acc.UsageError, match="too short"):
            acc.add_user(con, "shorty", acc.Role.RESEARCHER, "short", actor="t")
        with pytest.raises(acc.UsageError, match="exists already"):
            acc.add_user(con, "ana", acc.Role.ADMIN, "long enough password", actor="t")
        with pytest.raises(acc.UsageError, match="usable user name"):
            acc.add_user(con, "Ana Maria", acc.Role.ADMIN, "long enough password", actor="t")


def test_cli_user_org_token_audit(tmp_path: Path) -> None:
    store = str(tmp_path / "hub")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--store", store]).exit_code == 0
    pw = tmp_path / "pw.txt"
    pw.write_text("a long password here\n", encoding="utf-8")
    r = runner.invoke(
        cli, ["user", "add", "ana", "--role", "admin", "--password-file", str(pw), "--store", store]
    )
    assert r.exit_code == 0 and "Created admin ana." in r.output and "long password" not in r.output
    r = runner.invoke(
        cli, ["user", "add", "cleo", "--role", "contributor", "--org", "harbour-ngo", "--store", store]
    )
    assert r.exit_code == 0 and "One-time password" in r.output
    r = runner.invoke(cli, ["user", "list", "--json", "--store", store])
    assert (
        r.exit_code == 0
        and '"name": "cleo"' in r.output
        and "password" not in r.output  # no hash, no one-time password in a listing
    )
    r = runner.invoke(cli, ["org", "list", "--store", store])
    assert "harbour-ngo" in r.output
    r = runner.invoke(cli, ["token", "create", "cleo", "--store", store])
    assert r.exit_code == 0 and "ctd_" in r.output
    assert runner.invoke(cli, ["user", "disable", "cleo", "--store", store]).exit_code == 0
    assert runner.invoke(cli, ["user", "reset", "cleo", "--store", store]).exit_code == 0
    r = runner.invoke(cli, ["user", "disable", "nobody", "--store", store])
    assert r.exit_code != 0 and "There is no user 'nobody'" in r.output
    r = runner.invoke(cli, ["audit", "list", "--json", "--store", store])
    actions = [e["action"] for e in __import__("json").loads(r.output)["entries"]]
    assert actions == ["user.reset", "user.disable", "token.create", "user.add", "org.add", "user.add"]
    r = runner.invoke(cli, ["audit", "list", "--since", "yesterday", "--store", store])
    assert r.exit_code != 0 and "is not a date" in r.output


def test_audit_log_never_holds_passwords_or_tokens(hub: Hub) -> None:
    with access_db(hub) as con:
        token = acc.create_token(con, "cleo", actor="test")
    text = " ".join(f"{e.actor} {e.action} {e.target} {e.detail}" for e in entries(hub))
    for secret in (*PASSWORDS.values(), token, token.split("_", 2)[2]):
        assert secret not in text
