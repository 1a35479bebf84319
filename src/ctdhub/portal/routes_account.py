"""Signing in and out, and one's own account (`/login`, `/logout`, `/account`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ctdhub.errors import CtdhubError
from ctdhub.portal import router
from ctdhub.portal.auth import (
    COOKIE_PATH,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    current_session,
    hub_of,
    login_csrf,
    remote,
    require,
    safe_next,
    set_cookie,
    signed_cookie,
)
from ctdhub.portal.pages import lang_of, render
from ctdhub.publish.web.i18n import N_
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import append

HOME: dict[acc.Role, str] = {
    acc.Role.CONTRIBUTOR: "/contribute",
    acc.Role.RESEARCHER: "/research",
    acc.Role.ADMIN: "/admin",
}


def _login_form(request: Request, *, error: str = "", status: int = 200, name: str = "") -> Response:
    token = login_csrf(request)
    response = render(
        request,
        "login.html",
        N_("Sign in"),
        session=None,
        status=status,
        login_csrf=token,
        error=error,
        name=name,
        next_path=safe_next(request.query_params.get("next"), ""),
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form (a signed-in visitor goes to their home page)."""
    s = current_session(request)
    if s is not None:
        return RedirectResponse(HOME[s.user.role], status_code=303)
    return _login_form(request)


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=500)] = "",
) -> Response:
    """Check the password; on success a new session (and a new cookie), then the role's home page."""
    expected = signed_cookie(request, LOGIN_CSRF_COOKIE, 3600)
    if not expected or csrf != expected:
        raise HTTPException(
            403, N_("The form has expired or did not come from this site; reload it and try again.")
        )
    lang = lang_of(request)
    name = name.strip().lower()
    try:
        with access_db(hub_of(request)) as con:
            user = acc.authenticate(con, name, password, remote=remote(request))
            key = acc.start_session(con, user) if user is not None else None
    except acc.TooManyAttempts:
        return _login_form(
            request, error=lang.gettext(N_("Too many failed sign-ins; try again in 15 minutes.")), status=429
        )
    if user is None or key is None:
        return _login_form(
            request, error=lang.gettext(N_("The user name or the password is wrong.")), status=401, name=name
        )
    target = safe_next(next_path, HOME[user.role])
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, SESSION_COOKIE, key, None)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: Annotated[acc.Session, Depends(require())],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """End the session (the cookie is removed and its key forgotten by the store)."""
    check_csrf(session, csrf)
    key = signed_cookie(request, SESSION_COOKIE, int(acc.SESSION_IDLE.total_seconds()))
    with access_db(hub_of(request)) as con:
        if key:
            acc.end_session(con, key)
        append(con, session.user.name, "logout", session.user.name, "", remote(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/account")
def account(request: Request, session: Annotated[acc.Session, Depends(require())]) -> Response:
    """One's own account: name, role, organisation, and a form to change the password."""
    return render(
        request, "account.html", N_("Your account"), session=session, done=request.query_params.get("done")
    )


@router.post("/account/password")
def change_password(
    request: Request,
    session: Annotated[acc.Session, Depends(require())],
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    repeat: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Change one's password (the current one first); every session ends, this one restarts."""
    check_csrf(session, csrf)
    error, key = _new_password(request, session, current, new, repeat)
    if key is None:
        return render(
            request,
            "account.html",
            N_("Your account"),
            session=session,
            status=400,
            error=lang_of(request).gettext(error),
        )
    response = RedirectResponse("/account?done=password", status_code=303)
    set_cookie(response, request, SESSION_COOKIE, key, None)
    return response


def _new_password(
    request: Request, session: acc.Session, current: str, new: str, repeat: str
) -> tuple[str, str | None]:
    """(why not, None), or ("", the new session's key) once the password is changed."""
    if new != repeat:
        return N_("The two new passwords differ."), None
    if len(new) < acc.MIN_PASSWORD:
        return N_("The new password is too short: use at least 12 characters."), None
    name = session.user.name
    try:
        with access_db(hub_of(request)) as con:
            if acc.authenticate(con, name, current, remote=remote(request), signing_in=False) is None:
                return N_("The current password is wrong."), None
            acc.set_password(con, name, new, actor=name, action="password.change")
            return "", acc.start_session(con, session.user)
    except (acc.TooManyAttempts, CtdhubError) as exc:
        return str(exc), None
