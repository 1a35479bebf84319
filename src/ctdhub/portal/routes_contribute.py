"""Contributors (`/contribute`): their organisation's uploads, validation reports, corrections and records.

A thin shell over the library, like ``ctdhub ingest|quarantine|batch|mapping``: every route needs the
contributor role and only ever touches the account's own organisation — a batch, a row or an upload of
another organisation is 404, as one that does not exist, so ids are never confirmed. Every form carries
the session's CSRF token; every POST that changes the store writes one audit entry ("upload",
"resubmit", "batch.revert") once the change is made, and a refused one shows its sentence on the page
(400, 409, 413, 415) and writes nothing. Downloads of the organisation's own rows are audited
("download.own"). The mapping page only reads the files it is given, so it records nothing.

This module holds the batches page with the upload form, and the uploads ingested in the background;
what the contributor's modules share is in ``contribute_common``.

- ``/contribute``: the batches (file, date, status, counts, open quarantined rows) and the upload form —
  or, without an approved mapping spec, a link to the mapping page.
- ``POST /contribute/upload``: a file streamed into a private folder (``uploads.py``), ingested in the
  background as a batch pending approval; ``/contribute/uploads/{job}`` shows its stage, reloading itself.
- ``POST /contribute/resubmit``: a corrected quarantine export, ingested the same way.
- ``/contribute/batches/{id}``: the validation report and the quarantined rows with their reasons;
  ``quarantine.csv`` / ``quarantine.xlsx`` export the open ones; ``POST …/revert`` reverts the batch;
  ``…/rows/{row}``: one quarantined row's values in a form, resubmitted as a one-row quarantine export
  (``routes_contribute_batches``).
- ``/contribute/records.csv`` and ``/contribute/stats``: the organisation's own harmonised cases, and
  exact counts of them (its own data: no disclosure control) (``routes_contribute_records``).
- ``/contribute/mapping``: a draft spec from a sample file, and dry runs of a spec on a file
  (``routes_contribute_mapping``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ctdhub.errors import CtdhubError
from ctdhub.ingest import STAGES, IngestReport, Progress, ingest_file, resubmit_file
from ctdhub.portal import router
from ctdhub.portal.auth import check_csrf, hub_of, remote
from ctdhub.portal.contribute_common import (
    ACCEPT,
    STATUS_LABELS,
    Contributor,
    contribute_page,
    org_name,
    organisation,
    receive_then,
    uploaded_file,
)
from ctdhub.portal.pages import lang_of
from ctdhub.portal.routes_common import lang_path, when
from ctdhub.portal.uploads import (
    MAX_UPLOAD_BYTES,
    RESUBMIT_SUFFIXES,
    Received,
    UploadError,
    get_job,
    library_error,
    mapping_label,
    mb,
    org_spec,
    read_store,
    refuse_known_file,
    remove_folder,
    running_job,
    start_job,
    status_of,
)
from ctdhub.publish.web.i18n import N_
from ctdhub.read import read_source
from ctdhub.store import Hub
from ctdhub.store import accounts as acc
from ctdhub.store.batches import PENDING, list_batches

REFRESH_SECONDS = 2
NO_UPLOAD = N_("There is no such upload of your organisation.")

STAGE_LABELS = {
    "": N_("waiting for the store"),
    "read": N_("reading the file"),
    "map": N_("mapping it to the standard"),
    "validate": N_("validating the records"),
    "store": N_("storing the batch"),
}


# --- the batches and the upload form -----------------------------------------------------------------


def _batches(con: duckdb.DuckDBPyConnection, org: str) -> list[dict[str, Any]]:
    open_rows = dict(
        con.execute(
            "SELECT q.batch_id, count(*) FROM quarantine q JOIN batches b USING (batch_id) "
            "WHERE b.contributor = ? AND q.status = 'open' GROUP BY 1",
            [org],
        ).fetchall()
    )
    return [
        {
            "id": b["batch_id"],
            "file": b["file_name"],
            "created": when(b["created_at"]),
            "status": b["status"],
            "status_label": STATUS_LABELS.get(b["status"], b["status"]),
            "read": b["rows_read"],
            "stored": b["rows_stored"],
            "quarantined": b["rows_quarantined"],
            "open": int(open_rows.get(b["batch_id"], 0)),
            "parent": b["parent_batch_id"] or "",
        }
        for b in reversed(list_batches(con, org))
    ]


def _home(request: Request, session: acc.Session, *, status: int = 200, error: str = "") -> Response:
    hub = hub_of(request)
    org = organisation(hub, session)
    batches: list[dict[str, Any]] = []
    store_error = ""
    try:
        batches = read_store(hub, lambda con: _batches(con, org.name))
    except CtdhubError as exc:
        store_error = str(exc)
    return contribute_page(
        request,
        session,
        "contribute.html",
        N_("Contribute"),
        status=status,
        error=error,
        batches=batches,
        store_error=store_error,
        mapping=mapping_label(org),
        job=running_job(hub, org.name),
        max_size=mb(MAX_UPLOAD_BYTES),
        accept=ACCEPT,
    )


@router.get("/contribute")
def contribute(request: Request, session: Contributor) -> Response:
    """The organisation's batches, the upload form (or the way to a mapping spec), the resubmit form."""
    return _home(request, session)


Work = Callable[[Progress], IngestReport]


def _start_ingest(
    request: Request,
    session: acc.Session,
    folder: Path,
    form: Received,
    action: str,
    prepare: Callable[[Hub, acc.Organisation, Received], tuple[Path, Work]],
) -> Response:
    """Ingest the form's file in the background as the audit action `action` (`prepare` checks it and
    says how) and go to its status page; a refusal is the batches page with its sentence. The private
    `folder` goes to the job, or is removed here."""
    keep = False
    try:
        check_csrf(session, form.field("csrf"))
        hub = hub_of(request)
        org = organisation(hub, session)
        path, work = prepare(hub, org, form)
        job = start_job(
            hub,
            org.name,
            actor=session.user.name,
            remote=remote(request),
            action=action,
            folder=folder,
            file=path.name,
            work=work,
        )
        keep = True
    except CtdhubError as exc:
        return _home(request, session, status=status_of(exc), error=str(library_error(exc, folder)))
    finally:
        if not keep:
            remove_folder(folder)
    return RedirectResponse(lang_path(request, f"/contribute/uploads/{job.id}"), status_code=303)


def _upload_work(hub: Hub, org: acc.Organisation, form: Received) -> tuple[Path, Work]:
    """A new case file, read with the organisation's approved spec (a file ingested already is refused)."""
    spec = org_spec(org)
    path = uploaded_file(form)
    refuse_known_file(hub, path)
    return path, lambda step: ingest_file(hub, path, org.name, spec, progress=step, status=PENDING)


def _start_upload(request: Request, session: acc.Session, folder: Path, form: Received) -> Response:
    return _start_ingest(request, session, folder, form, "upload", _upload_work)


@router.post("/contribute/upload")
async def upload(request: Request, session: Contributor) -> Response:
    """Receive a case file (CSV, Excel, JSON or Parquet; streamed, size-limited, type-checked) and start
    ingesting it in the background as a batch pending approval; then its status page."""
    return await receive_then(request, session, {"file": MAX_UPLOAD_BYTES}, _start_upload, _home)


@router.get("/contribute/uploads/{job_id}")
def upload_status(request: Request, job_id: str, session: Contributor) -> Response:
    """An upload's stage while it is ingested (the page reloads itself), then its batch or its error."""
    job = get_job(job_id)
    if job is None or job.org != org_name(session) or job.hub != hub_of(request).path:
        raise HTTPException(404, NO_UPLOAD)
    lang = lang_of(request)
    response = contribute_page(
        request,
        session,
        "contribute_job.html",
        N_("Your upload"),
        job=job,
        started=when(job.started),
        stage=lang.gettext(STAGE_LABELS.get(job.stage, job.stage)),
        step=STAGES.index(job.stage) + 1 if job.stage in STAGES else 0,
        steps=len(STAGES),
        refresh=REFRESH_SECONDS if job.running else 0,
    )
    if job.running:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


# --- a corrected export, by file ----------------------------------------------------------------------


def _own_rows_only(hub: Hub, org: str, path: Path) -> None:
    """Refuse an export that names a batch which is not the organisation's (or no batch at all)."""
    con = duckdb.connect()
    try:
        info = read_source(con, path, table="export")
        if "_source_batch" not in info.columns or "_source_row" not in info.columns:
            raise UploadError(
                f"{path.name} is not a quarantine export: it has no _source_batch and _source_row columns."
            )
        named = [str(r[0]) for r in con.execute("SELECT DISTINCT _source_batch FROM export").fetchall()]
        blank = con.execute("SELECT count(*) FROM export WHERE _source_batch IS NULL").fetchone()
    finally:
        con.close()
    if not named or (blank and blank[0]):
        raise UploadError(f"{path.name} has rows without a _source_batch; keep that column as exported.")
    own = read_store(
        hub,
        lambda store: {
            r[0]
            for r in store.execute(
                "SELECT batch_id FROM batches WHERE contributor = ? AND list_contains(?, batch_id)",
                [org, named],
            ).fetchall()
        },
    )
    foreign = next((b for b in named if b not in own), None)
    if foreign is not None:
        raise UploadError(
            f"{path.name} names batch {foreign}, which is not a batch of your organisation; nothing was ingested."
        )


def _resubmit_work(hub: Hub, org: acc.Organisation, form: Received) -> tuple[Path, Work]:
    """A corrected quarantine export of the organisation's own batches."""
    path = uploaded_file(form, {s: s.lstrip(".") for s in RESUBMIT_SUFFIXES})
    _own_rows_only(hub, org.name, path)
    spec = org_spec(org) if org.mapping is not None else None
    return path, lambda step: resubmit_file(hub, path, spec, progress=step, status=PENDING)


def _start_resubmit(request: Request, session: acc.Session, folder: Path, form: Received) -> Response:
    return _start_ingest(request, session, folder, form, "resubmit", _resubmit_work)


@router.post("/contribute/resubmit")
async def resubmit(request: Request, session: Contributor) -> Response:
    """Receive a corrected quarantine export (CSV or Excel) and ingest it in the background: a new batch
    that resolves the rows it corrects."""
    return await receive_then(request, session, {"file": MAX_UPLOAD_BYTES}, _start_resubmit, _home)
