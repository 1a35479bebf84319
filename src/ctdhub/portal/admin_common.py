"""What the hub team's route modules (`/admin`) share: the admin-role dependency, the administration's
navigation and its confirmation messages, an admin page, the redirect after a change, and the HTTP
status of a refused change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from ctdhub.errors import ConfigError, CtdhubError, UsageError
from ctdhub.portal.auth import require
from ctdhub.portal.pages import lang_of
from ctdhub.portal.routes_common import lang_path, nav_links, page
from ctdhub.publish.web.i18n import N_
from ctdhub.store import accounts as acc

Admin = Annotated[acc.Session, Depends(require(acc.Role.ADMIN))]

PAGES: tuple[tuple[str, str], ...] = (
    ("/admin", N_("Overview")),
    ("/admin/users", N_("Accounts")),
    ("/admin/orgs", N_("Organisations")),
    ("/admin/batches", N_("Batches")),
    ("/admin/releases", N_("Releases")),
    ("/admin/budget", N_("Privacy budget")),
    ("/admin/audit", N_("Audit log")),
)

DONE: dict[str, str] = {
    "disabled": N_("The account is disabled: its sessions and tokens stopped working."),
    "enabled": N_("The account is enabled again."),
    "org": N_("The organisation is added."),
    "mapping": N_("The organisation's mapping spec is set: its next uploads are read with it."),
    "approved": N_("The batch is approved: its cases go into the next release."),
    "reverted": N_("The batch is reverted: its cases are removed from the store."),
    "withdrawn": N_("The release is withdrawn: the dashboard and the API no longer serve it."),
}


def admin_page(
    request: Request, session: acc.Session, template: str, title: str, *, status: int = 200, **data: Any
) -> Response:
    """An admin page: the portal's layout with the administration's own navigation."""
    code = request.query_params.get("done", "")
    data.setdefault("done", lang_of(request).gettext(DONE[code]) if code in DONE else None)
    nav = nav_links(request, PAGES, home="/admin")
    return page(request, session, template, title, status=status, admin_nav=nav, **data)


def done(request: Request, path: str, code: str) -> RedirectResponse:
    """After a change: back to `path`, which says what was done (``DONE[code]``)."""
    return RedirectResponse(lang_path(request, f"{path}?done={code}"), status_code=303)


def status_of_refusal(exc: CtdhubError) -> int:
    """400 for a wrong request (a name, a spec), 409 for a change the current state does not allow."""
    return 400 if isinstance(exc, UsageError | ConfigError) else 409
