"""Who is asking: signed session cookies, roles, CSRF tokens and API tokens of the portal.

A browser that signs in gets a new random session key (never the one it came with: no fixation) in a
cookie signed with the access database's key (itsdangerous), ``HttpOnly``, ``SameSite=Lax``, ``Secure``
behind HTTPS; the access database keeps only its SHA-256. Every form carries the session's CSRF token
(the sign-in form a signed double-submit cookie's). ``require(*roles)`` is the one check every route
uses: no session (or token) is 401, a session of another role is 403. Routes are synchronous: FastAPI
runs them in its thread pool, and each use of the access database is short.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from ctdhub.store import Hub
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db, signing_key

SESSION_COOKIE = "ctdhub_session"
LOGIN_CSRF_COOKIE = "ctdhub_login_csrf"
COOKIE_PATH = "/"


def hub_of(request: Request) -> Hub:
    hub: Hub | None = getattr(request.app.state, "hub", None)
    if hub is None:  # the routes are only included with a hub; this guards a misconfigured app
        raise HTTPException(404, "Not Found")
    return hub


@cache
def _serializer(path: Path) -> URLSafeTimedSerializer:
    with access_db(Hub(path)) as con:
        key = signing_key(con)
    return URLSafeTimedSerializer(key, salt="ctdhub-portal")


def serializer(request: Request) -> URLSafeTimedSerializer:
    return _serializer(hub_of(request).path)


def remote(request: Request) -> str:
    return request.client.host if request.client else ""


def secure(request: Request) -> bool:
    """Cookies are marked Secure when the page was asked for over HTTPS (directly or via the proxy)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        serializer(request).dumps(value),
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


def signed_cookie(request: Request, name: str, max_age: int) -> str | None:
    raw = request.cookies.get(name)
    if not raw:
        return None
    try:
        value = serializer(request).loads(raw, max_age=max_age)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def current_session(request: Request) -> acc.Session | None:
    """The signed-in session of this request, or None (looked up once per request)."""
    if hasattr(request.state, "session"):
        found: acc.Session | None = request.state.session
        return found
    key = signed_cookie(request, SESSION_COOKIE, int(acc.SESSION_IDLE.total_seconds()))
    found = None
    if key is not None:
        with access_db(hub_of(request)) as con:
            found = acc.session(con, key)
    request.state.session = found
    return found


def require(*roles: acc.Role) -> Callable[[Request], acc.Session]:
    """A dependency: the request's session, of one of `roles` (any role when none is given)."""

    def dependency(request: Request) -> acc.Session:
        s = current_session(request)
        if s is None:
            raise HTTPException(401, "Sign in to see this page.")
        if roles and s.user.role not in roles:
            raise HTTPException(403, "Your account's role does not give access to this page.")
        return s

    dependency.roles = roles or tuple(acc.Role)  # type: ignore[attr-defined]  # read by the access-matrix test
    return dependency


def check_csrf(session: acc.Session, token: str | None) -> None:
    """Refuse a form whose CSRF token is not its session's (403)."""
    if not token or not hmac.compare_digest(token, session.csrf):
        raise HTTPException(
            403, "The form has expired or did not come from this site; reload it and try again."
        )


def login_csrf(request: Request) -> str:
    """The sign-in form's token: the one in its signed cookie, or a new one."""
    return signed_cookie(request, LOGIN_CSRF_COOKIE, 3600) or secrets.token_urlsafe(24)


def bearer_user(request: Request, *roles: acc.Role) -> acc.User:
    """The user of the request's API token (``Authorization: Bearer ctd_…``): 401 without a live one, 403
    for another role."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise HTTPException(401, "Send an API token: 'Authorization: Bearer TOKEN' (ctdhub token create).")
    with access_db(hub_of(request)) as con:
        user = acc.token_user(con, value)
    if user is None:
        raise HTTPException(401, "The API token is not valid (revoked, mistyped, or its account disabled).")
    if roles and user.role not in roles:
        raise HTTPException(403, "This token's account's role does not allow this.")
    return user


def require_token(*roles: acc.Role) -> Callable[[Request], acc.User]:
    """A dependency: the user of the request's API token, of one of `roles` (checked before anything of
    the request is read)."""

    def dependency(request: Request) -> acc.User:
        return bearer_user(request, *roles)

    dependency.roles = roles or tuple(acc.Role)  # type: ignore[attr-defined]  # read by the access-matrix test
    return dependency


def safe_next(target: str | None, default: str) -> str:
    """Where to go after signing in: a path of this site only (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
