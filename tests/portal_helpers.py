"""Signing in to the portal in-process, shared by the portal's tests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from ctdhub.publish.app import create_app
from ctdhub.store import Hub

HTML = {"accept": "text/html"}


def form_csrf(text: str) -> str:
    """The CSRF token of the (first) form of a page."""
    m = re.search(r'name="csrf" value="([^"]+)"', text)
    assert m, "no csrf field in the form"
    return m.group(1)


def csrf_of(client: TestClient, path: str = "/account") -> str:
    """The CSRF token of the form at `path` for this client's session."""
    return form_csrf(client.get(path, headers=HTML).text)


def sign_in(client: TestClient, name: str, password: str) -> str:
    """Sign `client` in; return the CSRF token of its new session."""
    token = form_csrf(client.get("/login", headers=HTML).text)
    r = client.post(
        "/login",
        data={"name": name, "password": password, "csrf": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]
    return csrf_of(client)


def signed_in(hub: Hub, name: str, password: str) -> TestClient:
    """A new client of the app with the portal, signed in as `name`."""
    client = TestClient(create_app(hub.releases_dir, hub=hub))
    sign_in(client, name, password)
    return client
