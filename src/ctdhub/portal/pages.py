"""Rendering portal pages in the site's layout and language, and its error pages for browsers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from ctdhub.portal.auth import current_session
from ctdhub.publish.web.i18n import LANG_NAMES, LANGS, N_, Lang, pick_lang
from ctdhub.publish.web.jinja import render_page
from ctdhub.publish.web.pages import NAV
from ctdhub.store.accounts import Role, Session

TEMPLATES = Path(__file__).parent / "templates"

# the portal's entries of the navigation, by role
ROLE_NAV: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.CONTRIBUTOR: (("/contribute", N_("Contribute")),),
    Role.RESEARCHER: (("/research", N_("Research")),),
    Role.ADMIN: (("/admin", N_("Administration")),),
}


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: N_("hub team (administrator)"),
    Role.CONTRIBUTOR: N_("contributor"),
    Role.RESEARCHER: N_("researcher"),
}


def lang_of(request: Request) -> Lang:
    return Lang(pick_lang(request.query_params.get("lang")))


def with_lang(path: str, lang: Lang) -> str:
    """`path` with `?lang=` (or `&lang=`) for a language other than English."""
    if lang.code == "en":
        return path
    return path + ("&" if "?" in path else "?") + f"lang={lang.code}"


def site(request: Request, lang: Lang, session: Session | None) -> dict[str, Any]:
    """Navigation (public pages, then the portal's for the signed-in role) and the language switcher."""
    path = request.url.path
    entries = list(NAV) + (list(ROLE_NAV.get(session.user.role, ())) if session else [])
    entries.append(("/account", N_("Account")) if session else ("/login", N_("Sign in")))
    nav = [(with_lang(p, lang), lang.gettext(t), path == p) for p, t in entries]

    def href(code: str) -> str:
        return path + ("" if code == "en" else f"?lang={code}")

    return {
        "nav": nav,
        "langs": [(code, LANG_NAMES[code], href(code), code == lang.code) for code in LANGS],
        "filters": [],
    }


def render(
    request: Request, template: str, title: str, *, session: Session | None, status: int = 200, **data: Any
) -> HTMLResponse:
    """A portal page: `template` (from the portal's folder, extending the dashboard's base.html)."""
    lang = lang_of(request)
    data.setdefault("error", "")
    data.setdefault("done", None)
    html = render_page(
        template,
        ctx=None,
        lang=lang,
        extra=(TEMPLATES,),
        title=lang.gettext(title),
        page=site(request, lang, session),
        session=session,
        csrf=session.csrf if session else "",
        q=lambda path: with_lang(path, lang),
        roles=ROLE_LABELS,
        **data,
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


HEADINGS = {
    400: N_("The request cannot be done"),
    401: N_("Sign in to continue"),
    403: N_("Not allowed"),
    409: N_("The request cannot be done"),
    413: N_("The file is too large"),
    415: N_("This kind of file cannot be uploaded"),
    429: N_("Too many attempts"),
}


def error_page(request: Request, status: int, message: str) -> Response:
    """An error of the portal asked for by a browser, as a page (401 with a link to sign in)."""
    session = None if status == 401 else current_session(request)
    lang = lang_of(request)
    return render(
        request,
        "portal_error.html",
        HEADINGS.get(status, N_("The request cannot be done")),
        session=session,
        status=status,
        message=lang.gettext(message),
        signin=status == 401,
        next_path=request.url.path,
    )
