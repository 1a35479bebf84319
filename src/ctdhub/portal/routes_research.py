"""Researchers (`/research`): the data-use terms, and the restricted products of each live release.

A researcher (or the hub team) reads the data-use terms and accepts them once (``POST /research/terms``:
one audit entry "terms.accept"). After that the page lists, for every release that is not withdrawn, its
restricted products — the opt-in k-anonymised records, from the release's research folder
(``registry.RESEARCH_DIR``) — with their sizes, beside links to its public products.

``GET /research/files/{release_id}/{name}`` serves one file of a release's research folder: only a bare
file name its research manifest lists, resolved inside that folder (never ``restricted/``, never another
path), only to an account of the researcher or admin role that accepted the terms (403 otherwise), as an
attachment no cache keeps; each download writes one audit entry "download.restricted".
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from ctdhub.errors import CtdhubError
from ctdhub.portal import router
from ctdhub.portal.auth import check_csrf, hub_of, remote, require
from ctdhub.portal.pages import lang_of, render, with_lang
from ctdhub.publish.app_scope import HEAD_FLAG
from ctdhub.publish.gate import Gate, ReleaseView
from ctdhub.publish.web.formats import file_size, release_date
from ctdhub.publish.web.i18n import N_, Lang
from ctdhub.publish.web.release_pages import FORMAT_NAMES, resource_files, resource_title
from ctdhub.release.registry import (
    ID_RE,
    ResearchFile,
    ResearchProduct,
    get_release,
    list_releases,
    read_research,
    research_file,
)
from ctdhub.store import Hub
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import record

ROLES = (acc.Role.RESEARCHER, acc.Role.ADMIN)
# public products linked beside the restricted ones (the downloads page has them all)
PUBLIC_ROLES = ("microdata-synthetic", "aggregate-workbook")
PUBLIC_NAMES = ("report-html", "citation")
NOT_ACCEPTED = N_("Accept the data-use terms on the Research page before downloading restricted products.")
NO_FILE = N_("There is no such restricted file.")


def _file_entry(lang: Lang, release_id: str, f: ResearchFile) -> dict[str, str]:
    return {
        "format": FORMAT_NAMES.get(f.format, f.format.upper()),
        "name": f.name,
        "url": f"/research/files/{release_id}/{f.name}",
        "size": file_size(lang, f.bytes),
    }


def _product_entry(lang: Lang, view: ReleaseView, p: ResearchProduct) -> dict[str, Any]:
    raw = {"name": p.name, "title": p.title, "ctdhub:role": p.role}
    return {
        "title": resource_title(lang, view, raw),
        "rows": p.rows,
        "rows_text": lang.int(p.rows),
        "files": [_file_entry(lang, view.release_id, f) for f in p.files],
    }


def _release_entry(lang: Lang, view: ReleaseView, products: list[ResearchProduct]) -> dict[str, Any]:
    kanon = view.manifest.kanon
    public = [
        {"label": resource_title(lang, view, r), "files": resource_files(lang, view, r)}
        for r in view.resources()
        if r.get("ctdhub:role") in PUBLIC_ROLES or r.get("name") in PUBLIC_NAMES
    ]
    return {
        "id": view.release_id,
        "published": release_date(lang, view.manifest.created_at),
        "products": [_product_entry(lang, view, p) for p in products],
        "qis": ", ".join(lang.dim(q) for q in kanon.quasi_identifiers) if kanon is not None else "",
        "public": public,
        "downloads": with_lang(f"/downloads?release={view.release_id}", lang),
    }


def _releases(hub: Hub, lang: Lang) -> list[dict[str, Any]]:
    """The live releases, newest first, each with its restricted products (a release that cannot be read
    is left out, as the public pages leave it out)."""
    gate = Gate(hub.releases_dir)
    try:
        live = list_releases(hub.releases_dir, include_withdrawn=False)
    except CtdhubError:
        return []
    out = []
    for m in reversed(live):
        try:
            view = gate.release(m.release_id)
            products = read_research(view.path)
        except CtdhubError:
            continue
        out.append(_release_entry(lang, view, products))
    return out


def _page(request: Request, session: acc.Session, *, status: int = 200, error: str = "") -> Response:
    accepted = session.user.terms_accepted_at
    lang = lang_of(request)
    return render(
        request,
        "research.html",
        N_("Research"),
        session=session,
        status=status,
        error=error,
        done=request.query_params.get("done"),
        accepted=release_date(lang, accepted.isoformat()) if accepted is not None else None,
        releases=_releases(hub_of(request), lang) if accepted is not None else [],
    )


@router.get("/research")
def research(request: Request, session: Annotated[acc.Session, Depends(require(*ROLES))]) -> Response:
    """The data-use terms (and the form to accept them); once accepted, the restricted products."""
    return _page(request, session)


@router.post("/research/terms")
def accept_terms(
    request: Request,
    session: Annotated[acc.Session, Depends(require(*ROLES))],
    csrf: Annotated[str, Form(max_length=200)] = "",
    agree: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Accept the data-use terms (once: accepting again changes nothing and records nothing)."""
    check_csrf(session, csrf)
    lang = lang_of(request)
    if session.user.terms_accepted_at is None:
        if agree != "yes":
            error = lang.gettext(N_("Tick the box to accept the terms, then send the form."))
            return _page(request, session, status=400, error=error)
        with access_db(hub_of(request)) as con:
            user = acc.get_user(con, session.user.name)
            if user is not None and user.terms_accepted_at is None:  # one entry, even for two clicks
                acc.accept_terms(con, session.user.name)
    return RedirectResponse(with_lang("/research?done=terms", lang), status_code=303)


def _local_file(hub: Hub, release_id: str, name: str) -> tuple[Path, ResearchFile]:
    """The research file ``name`` of a live release, else 404 (410 for a withdrawn release)."""
    if not ID_RE.match(release_id):
        raise HTTPException(404, NO_FILE)
    try:
        path, manifest = get_release(hub.releases_dir, release_id)
        if manifest.status != "published":
            raise HTTPException(410, N_("This release was withdrawn; its files are no longer served."))
        found = research_file(path, name)
    except CtdhubError as exc:
        raise HTTPException(404, NO_FILE) from exc
    if found is None:
        raise HTTPException(404, NO_FILE)
    return found


@router.get("/research/files/{release_id}/{name}")
def download(
    request: Request,
    release_id: str,
    name: str,
    session: Annotated[acc.Session, Depends(require(*ROLES))],
) -> Response:
    """One file of a live release's research folder, to an account that accepted the terms; recorded."""
    if session.user.terms_accepted_at is None:
        raise HTTPException(403, NOT_ACCEPTED)
    hub = hub_of(request)
    local, listed = _local_file(hub, release_id, name)
    if not request.scope.get(HEAD_FLAG):  # a HEAD request sends no file: nothing was downloaded
        record(
            hub,
            session.user.name,
            "download.restricted",
            f"{release_id}/{listed.name}",
            f"{listed.bytes} bytes",
            remote(request),
        )
    return FileResponse(
        local,
        media_type=listed.mediatype,
        filename=listed.name,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
