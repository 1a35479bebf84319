"""What the contributors' route modules (`/contribute`) share: the contributor-role dependency, the
account's organisation, a contributor's page, a read of the case store a page cannot do without, a
download from a private folder, and a form's files received before the work is handed on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
from fastapi import Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ctdhub.portal.auth import hub_of, require
from ctdhub.portal.routes_common import nav_links, page
from ctdhub.portal.uploads import (
    KINDS,
    MAX_FIELD_BYTES,
    Received,
    UploadError,
    check_type,
    new_folder,
    read_store,
    receive_form,
    remove_folder,
)
from ctdhub.publish.web.i18n import N_
from ctdhub.store import Hub
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db

T = TypeVar("T")

Contributor = Annotated[acc.Session, Depends(require(acc.Role.CONTRIBUTOR))]

NO_FILE = N_("Choose a file to upload.")
ACCEPT = ".csv,.tsv,.xlsx,.json,.jsonl,.parquet"

PAGES: tuple[tuple[str, str], ...] = (
    ("/contribute", N_("Batches")),
    ("/contribute/stats", N_("Your records")),
    ("/contribute/mapping", N_("Mapping")),
)
STATUS_LABELS = {
    "pending": N_("pending approval"),
    "active": N_("in releases"),
    "reverted": N_("reverted"),
}


def org_name(session: acc.Session) -> str:
    """The name of the account's organisation (403 for an account of none)."""
    if not session.user.org:
        raise HTTPException(403, N_("Your account belongs to no organisation."))
    return session.user.org


def organisation(hub: Hub, session: acc.Session) -> acc.Organisation:
    """The account's organisation (403 for an account of none, or of one that is gone)."""
    name = org_name(session)
    with access_db(hub) as con:
        org = acc.get_org(con, name)
    if org is None:
        raise HTTPException(403, N_("Your account belongs to no organisation."))
    return org


def contribute_page(
    request: Request, session: acc.Session, template: str, title: str, *, status: int = 200, **data: Any
) -> Response:
    """A contributor's page: the portal's layout with the contributor's own navigation."""
    nav = nav_links(request, PAGES)
    return page(
        request,
        session,
        template,
        title,
        status=status,
        contribute_nav=nav,
        org_name=org_name(session),
        **data,
    )


def must_read(hub: Hub, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """A read a page cannot do without: a busy store is the portal's error page (409)."""
    try:
        return read_store(hub, fn)
    except UploadError as exc:
        raise HTTPException(exc.status, str(exc)) from None


def attachment(path: Path, folder: Path, filename: str, media_type: str) -> FileResponse:
    """A file of the private folder as a download; the folder is removed once it is sent."""
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        background=BackgroundTask(remove_folder, folder),
    )


def uploaded_file(form: Received, suffixes: Mapping[str, str] = KINDS) -> Path:
    """The form's file (field ``file``), of a kind `suffixes` accepts (``check_type``)."""
    path = form.files.get("file")
    if path is None:
        raise UploadError(NO_FILE)
    check_type(path, suffixes)
    return path


Then = Callable[[Request, acc.Session, Path, Received], Response]
OnError = Callable[..., Response]


async def receive_then(
    request: Request,
    session: acc.Session,
    files: Mapping[str, int],
    then: Then,
    on_error: OnError,
    field_limit: int = MAX_FIELD_BYTES,
) -> Response:
    """Stream the form's files into a new private folder, then hand it to `then` (in the thread pool),
    which removes the folder or gives it to a background job. A refused upload is `on_error`'s page."""
    hub = hub_of(request)
    folder = await run_in_threadpool(new_folder, hub)
    try:
        form = await receive_form(request, folder, files, field_limit=field_limit)
    except UploadError as exc:
        remove_folder(folder)
        return await run_in_threadpool(on_error, request, session, status=exc.status, error=str(exc))
    except BaseException:
        remove_folder(folder)
        raise
    return await run_in_threadpool(then, request, session, folder, form)
