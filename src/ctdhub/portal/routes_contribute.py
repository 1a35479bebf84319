"""Contributors (`/contribute`): their organisation's uploads, validation reports, corrections and records.

A thin shell over the library, like ``ctdhub ingest|quarantine|batch|mapping``: every route needs the
contributor role and only ever touches the account's own organisation — a batch, a row or an upload of
another organisation is 404, as one that does not exist, so ids are never confirmed. Every form carries
the session's CSRF token; every POST that changes the store writes one audit entry ("upload",
"resubmit", "batch.revert") once the change is made, and a refused one shows its sentence on the page
(400, 409, 413, 415) and writes nothing. Downloads of the organisation's own rows are audited
("download.own"). The mapping page only reads the files it is given, so it records nothing.

- ``/contribute``: the batches (file, date, status, counts, open quarantined rows) and the upload form —
  or, without an approved mapping spec, a link to the mapping page.
- ``POST /contribute/upload``: a file streamed into a private folder (``uploads.py``), ingested in the
  background as a batch pending approval; ``/contribute/uploads/{job}`` shows its stage, reloading itself.
- ``/contribute/batches/{id}``: the validation report and the quarantined rows with their reasons;
  ``quarantine.csv`` / ``quarantine.xlsx`` export the open ones; ``POST …/revert`` reverts the batch.
- ``/contribute/batches/{id}/rows/{row}``: one quarantined row's values in a form; posting it resubmits
  the corrected row (a one-row quarantine export), and ``POST /contribute/resubmit`` a corrected export.
- ``/contribute/records.csv`` and ``/contribute/stats``: the organisation's own harmonised cases, and
  exact counts of them (its own data: no disclosure control).
- ``/contribute/mapping``: a draft spec from a sample file, and dry runs of a spec on a file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ctdhub.errors import ConfigError, ConfigProblem, CtdhubError
from ctdhub.ingest import STAGES, IngestReport, check_mapping, ingest_file, profile_file, resubmit_file
from ctdhub.mapping import parse_spec
from ctdhub.mapping.explain import explain_rule
from ctdhub.mapping.suggest import render_yaml, suggest_spec
from ctdhub.portal import router
from ctdhub.portal.auth import check_csrf, hub_of, remote, require
from ctdhub.portal.pages import lang_of, render
from ctdhub.portal.uploads import (
    MAX_FIELD_BYTES,
    MAX_SPEC_BYTES,
    MAX_UPLOAD_BYTES,
    RESUBMIT_SUFFIXES,
    Received,
    UploadError,
    check_type,
    counts_detail,
    get_job,
    library_error,
    mapping_label,
    mb,
    new_folder,
    org_spec,
    read_store,
    receive_form,
    refuse_known_file,
    remove_folder,
    running_job,
    start_job,
    status_of,
    write_store,
)
from ctdhub.publish.web.i18n import N_
from ctdhub.read import read_source
from ctdhub.sql import qi, ql
from ctdhub.standard import load_standard
from ctdhub.store import Hub
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import record
from ctdhub.store.batches import LIVE, PENDING, get_batch, list_batches, revert_batch
from ctdhub.store.quarantine import export_quarantine, export_quarantine_xlsx, formula_safe_text

Contributor = Annotated[acc.Session, Depends(require(acc.Role.CONTRIBUTOR))]
Csrf = Annotated[str, Form(max_length=200)]

PAGE_SIZE = 50  # quarantined rows per page of a batch's report
REFRESH_SECONDS = 2
MAX_VALUE_CHARS = 10_000  # one corrected value
NO_BATCH = N_("There is no such batch among your organisation's batches.")
NO_ROW = N_("There is no such quarantined row in this batch.")
NO_UPLOAD = N_("There is no such upload of your organisation.")
NO_FILE = N_("Choose a file to upload.")

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
STAGE_LABELS = {
    "": N_("waiting for the store"),
    "read": N_("reading the file"),
    "map": N_("mapping it to the standard"),
    "validate": N_("validating the records"),
    "store": N_("storing the batch"),
}
ROW_STATUS = {"open": N_("open"), "resubmitted": N_("corrected"), "reverted": N_("reverted")}
ACCEPT = ".csv,.tsv,.xlsx,.json,.jsonl,.parquet"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ---------------------------------------------------------------------------------------


def _path(request: Request, path: str) -> str:
    """`path` in the request's language (as the templates' ``q()``)."""
    code = lang_of(request).code
    return path if code == "en" else path + ("&" if "?" in path else "?") + f"lang={code}"


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M")


def _org_name(session: acc.Session) -> str:
    if not session.user.org:
        raise HTTPException(403, N_("Your account belongs to no organisation."))
    return session.user.org


def _organisation(hub: Hub, session: acc.Session) -> acc.Organisation:
    name = _org_name(session)
    with access_db(hub) as con:
        org = acc.get_org(con, name)
    if org is None:
        raise HTTPException(403, N_("Your account belongs to no organisation."))
    return org


def _page(
    request: Request, session: acc.Session, template: str, title: str, *, status: int = 200, **data: Any
) -> Response:
    """A contributor's page: the portal's layout with the contributor's own navigation."""
    lang = lang_of(request)
    here = request.url.path
    nav = [(_path(request, p), lang.gettext(t), here == p) for p, t in PAGES]
    error = data.pop("error", "")
    return render(
        request,
        template,
        title,
        session=session,
        status=status,
        contribute_nav=nav,
        org_name=_org_name(session),
        error=lang.gettext(error) if error else "",
        **data,
    )


def _read(hub: Hub, fn: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
    """A read a page cannot do without: a busy store is the portal's error page (409)."""
    try:
        return read_store(hub, fn)
    except UploadError as exc:
        raise HTTPException(exc.status, str(exc)) from None


def _own_batch(con: duckdb.DuckDBPyConnection, org: str, batch_id: str) -> dict[str, Any]:
    """The batch, if it is the organisation's; else 404 (as for a batch that does not exist)."""
    try:
        batch = get_batch(con, batch_id)
    except CtdhubError:
        batch = None
    if batch is None or batch["contributor"] != org:
        raise HTTPException(404, NO_BATCH)
    return batch


def _attachment(path: Path, folder: Path, filename: str, media_type: str) -> FileResponse:
    """A file of the private folder as a download; the folder is removed once it is sent."""
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        background=BackgroundTask(remove_folder, folder),
    )


Then = Callable[[Request, acc.Session, Path, Received], Response]
OnError = Callable[..., Response]


async def _receive_then(
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
            "created": _when(b["created_at"]),
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
    org = _organisation(hub, session)
    batches: list[dict[str, Any]] = []
    store_error = ""
    try:
        batches = read_store(hub, lambda con: _batches(con, org.name))
    except CtdhubError as exc:
        store_error = str(exc)
    return _page(
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


def _start_upload(request: Request, session: acc.Session, folder: Path, form: Received) -> Response:
    keep = False
    try:
        check_csrf(session, form.field("csrf"))
        hub = hub_of(request)
        org = _organisation(hub, session)
        spec = org_spec(org)
        path = form.files.get("file")
        if path is None:
            raise UploadError(NO_FILE)
        check_type(path)
        refuse_known_file(hub, path)
        job = start_job(
            hub,
            org.name,
            actor=session.user.name,
            remote=remote(request),
            action="upload",
            folder=folder,
            file=path.name,
            work=lambda step: ingest_file(hub, path, org.name, spec, progress=step, status=PENDING),
        )
        keep = True
    except CtdhubError as exc:
        return _home(request, session, status=status_of(exc), error=str(library_error(exc, folder)))
    finally:
        if not keep:
            remove_folder(folder)
    return RedirectResponse(_path(request, f"/contribute/uploads/{job.id}"), status_code=303)


@router.post("/contribute/upload")
async def upload(request: Request, session: Contributor) -> Response:
    """Receive a case file (CSV, Excel, JSON or Parquet; streamed, size-limited, type-checked) and start
    ingesting it in the background as a batch pending approval; then its status page."""
    return await _receive_then(request, session, {"file": MAX_UPLOAD_BYTES}, _start_upload, _home)


@router.get("/contribute/uploads/{job_id}")
def upload_status(request: Request, job_id: str, session: Contributor) -> Response:
    """An upload's stage while it is ingested (the page reloads itself), then its batch or its error."""
    job = get_job(job_id)
    if job is None or job.org != _org_name(session) or job.hub != hub_of(request).path:
        raise HTTPException(404, NO_UPLOAD)
    lang = lang_of(request)
    response = _page(
        request,
        session,
        "contribute_job.html",
        N_("Your upload"),
        job=job,
        started=_when(job.started),
        stage=lang.gettext(STAGE_LABELS.get(job.stage, job.stage)),
        step=STAGES.index(job.stage) + 1 if job.stage in STAGES else 0,
        steps=len(STAGES),
        refresh=REFRESH_SECONDS if job.running else 0,
    )
    if job.running:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


# --- a batch's validation report -----------------------------------------------------------------------


def _values_text(original: dict[str, Any], limit: int = 240) -> str:
    text = "; ".join(f"{k}: {v}" for k, v in original.items() if k != "_person_key" and v is not None)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quarantined(con: duckdb.DuckDBPyConnection, batch_id: str, page: int) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT source_row, status, reasons, original, resolved_by FROM quarantine WHERE batch_id = ? "
        "ORDER BY source_row LIMIT ? OFFSET ?",
        [batch_id, PAGE_SIZE, (page - 1) * PAGE_SIZE],
    ).fetchall()
    return [
        {
            "row": int(r[0]),
            "status": r[1],
            "status_label": ROW_STATUS.get(r[1], r[1]),
            "reasons": list(r[2]),
            "cells": _values_text(json.loads(r[3])),
            "resolved_by": r[4] or "",
        }
        for r in rows
    ]


def _report(con: duckdb.DuckDBPyConnection, org: str, batch_id: str, page: int) -> dict[str, Any]:
    batch = _own_batch(con, org, batch_id)
    rules = con.execute(
        "SELECT rule, severity, count(DISTINCT source_row) FROM findings WHERE batch_id = ? "
        "GROUP BY ALL ORDER BY severity, 3 DESC, rule",
        [batch_id],
    ).fetchall()
    warn = con.execute(
        "SELECT count(*), count(DISTINCT source_row) FROM findings WHERE batch_id = ? AND severity = 'warning' "
        "AND source_row NOT IN (SELECT source_row FROM quarantine WHERE batch_id = ?)",
        [batch_id, batch_id],
    ).fetchone()
    counts = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE status = 'open') FROM quarantine WHERE batch_id = ?",
        [batch_id],
    ).fetchone()
    children = con.execute(
        "SELECT batch_id FROM batches WHERE parent_batch_id = ? ORDER BY created_at", [batch_id]
    ).fetchall()
    return {
        "batch": batch,
        "rules": [
            {"rule": r, "severity": s, "rows": int(n), "explanation": explain_rule(r)} for r, s, n in rules
        ],
        "warnings": int(warn[0]) if warn else 0,
        "rows_with_warnings": int(warn[1]) if warn else 0,
        "total": int(counts[0]) if counts else 0,
        "open": int(counts[1]) if counts else 0,
        "rows": _quarantined(con, batch_id, page),
        "children": [c[0] for c in children],
    }


def _done_message(code: str | None, batch: dict[str, Any]) -> str:
    if code == "reverted":
        return N_("The batch is reverted: its cases are removed from the store.")
    if code == "corrected" and batch["rows_stored"]:
        return N_("Your correction is stored; it waits for the hub team's approval like every upload.")
    if code == "corrected":
        return N_("Your correction was received, but the row is still quarantined: see the reason below.")
    if code == "resubmitted":
        return N_("Your corrected file is ingested; see below what was stored.")
    return ""


def _batch_page(
    request: Request, session: acc.Session, batch_id: str, *, status: int = 200, error: str = ""
) -> Response:
    hub = hub_of(request)
    org = _org_name(session)
    try:
        page = max(int(request.query_params.get("page", "1")), 1)
    except ValueError:
        page = 1
    report = _read(hub, lambda con: _report(con, org, batch_id, page))
    batch = report.pop("batch")
    lang = lang_of(request)
    done = _done_message(request.query_params.get("done"), batch)
    downloads = [("csv", "CSV"), ("xlsx", "Excel")]
    if str(batch["file_name"]).lower().endswith(".xlsx"):
        downloads.reverse()
    return _page(
        request,
        session,
        "contribute_batch.html",
        N_("Validation report"),
        status=status,
        error=error,
        done=lang.gettext(done) if done else None,
        b=batch,
        status_label=STATUS_LABELS.get(batch["status"], batch["status"]),
        created=_when(batch["created_at"]),
        skipped=batch.get("rows_skipped"),
        live=batch["status"] in LIVE,
        downloads=downloads,
        page_no=page,
        pages=max((report["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        **report,
    )


@router.get("/contribute/batches/{batch_id}")
def batch_report(request: Request, batch_id: str, session: Contributor) -> Response:
    """A batch's validation report: counts, findings by rule, quarantined rows with their reasons."""
    return _batch_page(request, session, batch_id)


def _quarantine_download(request: Request, session: acc.Session, batch_id: str, kind: str) -> Response:
    hub = hub_of(request)
    org = _org_name(session)
    folder = new_folder(hub)
    name = f"{batch_id}-quarantine.{kind}"
    export = export_quarantine_xlsx if kind == "xlsx" else export_quarantine

    def run(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        _own_batch(con, org, batch_id)
        return export(con, folder / name, batch_id=batch_id)

    try:
        out = _read(hub, run)
    except BaseException:
        remove_folder(folder)
        raise
    record(
        hub,
        session.user.name,
        "download.own",
        f"{batch_id}/quarantine.{kind}",
        f"{out['rows']} rows",
        remote(request),
    )
    media = XLSX_TYPE if kind == "xlsx" else "text/csv; charset=utf-8"
    return _attachment(folder / name, folder, name, media)


@router.get("/contribute/batches/{batch_id}/quarantine.csv")
def quarantine_csv(request: Request, batch_id: str, session: Contributor) -> Response:
    """The batch's open quarantined rows as a CSV to correct and resubmit (formula cells escaped)."""
    return _quarantine_download(request, session, batch_id, "csv")


@router.get("/contribute/batches/{batch_id}/quarantine.xlsx")
def quarantine_xlsx(request: Request, batch_id: str, session: Contributor) -> Response:
    """The batch's open quarantined rows as an Excel workbook to correct and resubmit."""
    return _quarantine_download(request, session, batch_id, "xlsx")


@router.post("/contribute/batches/{batch_id}/revert")
def batch_revert(request: Request, batch_id: str, session: Contributor, csrf: Csrf = "") -> Response:
    """Revert one of the organisation's batches: its cases are removed (its provenance stays)."""
    check_csrf(session, csrf)
    hub = hub_of(request)
    org = _org_name(session)
    _read(hub, lambda con: _own_batch(con, org, batch_id))

    def revert() -> dict[str, int]:
        with hub.writer() as con:
            return revert_batch(con, batch_id)

    try:
        out = write_store(hub, revert)
    except CtdhubError as exc:
        return _batch_page(request, session, batch_id, status=status_of(exc), error=str(exc))
    record(
        hub,
        session.user.name,
        "batch.revert",
        batch_id,
        f"{out['cases_removed']} cases removed",
        remote(request),
    )
    return RedirectResponse(_path(request, f"/contribute/batches/{batch_id}?done=reverted"), status_code=303)


# --- correcting one row in place ----------------------------------------------------------------------


def _quarantined_row(
    con: duckdb.DuckDBPyConnection, org: str, batch_id: str, source_row: int
) -> dict[str, Any]:
    batch = _own_batch(con, org, batch_id)
    if not 0 < source_row < 2**62:
        raise HTTPException(404, NO_ROW)
    row = con.execute(
        "SELECT status, reasons, original, resolved_by FROM quarantine WHERE batch_id = ? AND source_row = ?",
        [batch_id, source_row],
    ).fetchone()
    if row is None:
        raise HTTPException(404, NO_ROW)
    return {
        "batch": batch,
        "row": source_row,
        "status": row[0],
        "reasons": list(row[1]),
        "original": json.loads(row[2]),
        "resolved_by": row[3] or "",
    }


def _row_page(
    request: Request,
    session: acc.Session,
    found: dict[str, Any],
    *,
    status: int = 200,
    error: str = "",
    values: list[str] | None = None,
) -> Response:
    columns = [k for k in found["original"] if k != "_person_key"]
    shown = values if values is not None and len(values) == len(columns) else None
    fields = [
        {"index": i, "column": c, "value": shown[i] if shown else (found["original"][c] or "")}
        for i, c in enumerate(columns)
    ]
    return _page(
        request,
        session,
        "contribute_row.html",
        N_("Correct a quarantined row"),
        status=status,
        error=error,
        batch_id=found["batch"]["batch_id"],
        row=found["row"],
        row_status=found["status"],
        row_status_label=ROW_STATUS.get(found["status"], found["status"]),
        reasons=found["reasons"],
        resolved_by=found["resolved_by"],
        fields=fields,
    )


@router.get("/contribute/batches/{batch_id}/rows/{source_row}")
def row_form(request: Request, batch_id: str, source_row: int, session: Contributor) -> Response:
    """A quarantined row's original values, one input per column, with the reasons it was held back."""
    org = _org_name(session)
    found = _read(hub_of(request), lambda con: _quarantined_row(con, org, batch_id, source_row))
    return _row_page(request, session, found)


def _write_row_file(path: Path, found: dict[str, Any], values: dict[str, str]) -> None:
    """A one-row quarantine export (the columns of ``export_quarantine``'s CSV), escaped alike."""
    original: dict[str, Any] = found["original"]
    header = ["_source_batch", "_source_row", "_reasons", *original]
    row = [found["batch"]["batch_id"], str(found["row"]), formula_safe_text(" | ".join(found["reasons"]))]
    for column, stored in original.items():
        value = (stored or "") if column == "_person_key" else values[column]
        row.append(formula_safe_text(value))
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, row])


def _resubmit_row(hub: Hub, org: acc.Organisation, found: dict[str, Any], values: list[str]) -> IngestReport:
    if found["status"] != "open":
        raise UploadError(N_("This row is not open any more: it was corrected, or its batch reverted."), 409)
    columns = [k for k in found["original"] if k != "_person_key"]
    if len(values) != len(columns):
        raise UploadError(N_("The form does not match the row's columns; reload it and try again."))
    if any(len(v) > MAX_VALUE_CHARS for v in values):
        raise UploadError(N_("A value is too long (more than 10,000 characters)."))
    folder = new_folder(hub)
    try:
        path = folder / f"{found['batch']['batch_id']}-row-{found['row']}.csv"
        _write_row_file(path, found, dict(zip(columns, values, strict=True)))
        spec = org_spec(org) if org.mapping is not None else None
        return write_store(hub, lambda: resubmit_file(hub, path, spec, status=PENDING))
    except CtdhubError as exc:
        raise library_error(exc, folder) from None
    finally:
        remove_folder(folder)


@router.post("/contribute/batches/{batch_id}/rows/{source_row}")
def row_correct(
    request: Request,
    batch_id: str,
    source_row: int,
    session: Contributor,
    csrf: Csrf = "",
    value: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Resubmit the corrected row (a new batch, pending approval, that resolves it); then its report."""
    check_csrf(session, csrf)
    hub = hub_of(request)
    org = _organisation(hub, session)
    found = _read(hub, lambda con: _quarantined_row(con, org.name, batch_id, source_row))
    try:
        report = _resubmit_row(hub, org, found, value or [])
    except CtdhubError as exc:
        return _row_page(request, session, found, status=status_of(exc), error=str(exc), values=value)
    detail = f"{counts_detail(report)}; corrects {batch_id} row {source_row}"
    record(hub, session.user.name, "resubmit", report.batch_id, detail, remote(request))
    return RedirectResponse(
        _path(request, f"/contribute/batches/{report.batch_id}?done=corrected"), status_code=303
    )


# --- a corrected export, by file ----------------------------------------------------------------------------


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


def _start_resubmit(request: Request, session: acc.Session, folder: Path, form: Received) -> Response:
    keep = False
    try:
        check_csrf(session, form.field("csrf"))
        hub = hub_of(request)
        org = _organisation(hub, session)
        path = form.files.get("file")
        if path is None:
            raise UploadError(NO_FILE)
        check_type(path, {s: s.lstrip(".") for s in RESUBMIT_SUFFIXES})
        _own_rows_only(hub, org.name, path)
        spec = org_spec(org) if org.mapping is not None else None
        job = start_job(
            hub,
            org.name,
            actor=session.user.name,
            remote=remote(request),
            action="resubmit",
            folder=folder,
            file=path.name,
            work=lambda step: resubmit_file(hub, path, spec, progress=step, status=PENDING),
        )
        keep = True
    except CtdhubError as exc:
        return _home(request, session, status=status_of(exc), error=str(library_error(exc, folder)))
    finally:
        if not keep:
            remove_folder(folder)
    return RedirectResponse(_path(request, f"/contribute/uploads/{job.id}"), status_code=303)


@router.post("/contribute/resubmit")
async def resubmit(request: Request, session: Contributor) -> Response:
    """Receive a corrected quarantine export (CSV or Excel) and ingest it in the background: a new batch
    that resolves the rows it corrects."""
    return await _receive_then(request, session, {"file": MAX_UPLOAD_BYTES}, _start_resubmit, _home)


# --- the organisation's own records ---------------------------------------------------------------------


def _own_cases(org: str) -> str:
    return (
        "SELECT c.* EXCLUDE (person_key), b.status AS batch_status FROM cases c JOIN batches b "
        f"USING (batch_id) WHERE c.contributor = {ql(org)} ORDER BY c.batch_id, c.source_row"
    )


@router.get("/contribute/records.csv")
def records_csv(request: Request, session: Contributor) -> Response:
    """The organisation's harmonised cases (every live batch, pending ones included) as a CSV."""
    hub = hub_of(request)
    org = _org_name(session)
    folder = new_folder(hub)
    out = folder / f"{org}-records.csv"

    def export(con: duckdb.DuckDBPyConnection) -> int:
        con.execute(f"COPY ({_own_cases(org)}) TO {ql(str(out))} (HEADER, DELIMITER ',')")
        n = con.execute("SELECT count(*) FROM cases WHERE contributor = ?", [org]).fetchone()
        return int(n[0]) if n else 0

    try:
        rows = _read(hub, export)
    except BaseException:
        remove_folder(folder)
        raise
    record(hub, session.user.name, "download.own", "records.csv", f"{rows} cases", remote(request))
    return _attachment(out, folder, out.name, "text/csv; charset=utf-8")


def _counts(con: duckdb.DuckDBPyConnection, org: str, field: str) -> list[tuple[str | None, int]]:
    rows = con.execute(
        f"SELECT CAST({qi(field)} AS VARCHAR), count(*) FROM cases WHERE contributor = ? GROUP BY 1 "
        "ORDER BY 1 NULLS LAST",
        [org],
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def _stats(con: duckdb.DuckDBPyConnection, org: str) -> dict[str, Any]:
    """Exact counts of the organisation's own cases: in total and by status, by year of registration,
    gender, age band and type of exploitation (a case can have several types)."""
    std = load_standard()
    total = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE b.status = 'active'), count(*) FILTER (WHERE b.status = 'pending') "
        "FROM cases c JOIN batches b USING (batch_id) WHERE c.contributor = ?",
        [org],
    ).fetchone()
    bands = std.field("ageBroad").codes
    ages = sorted(
        _counts(con, org, "ageBroad"), key=lambda r: bands.index(r[0]) if r[0] in bands else len(bands)
    )
    flags = [f for f in std.fields if f.family == "typeOfExploit"]
    sums = ", ".join(f"count(*) FILTER (WHERE {qi(f.name)} = 1)" for f in flags)
    by_flag = con.execute(f"SELECT {sums} FROM cases WHERE contributor = ?", [org]).fetchone() or ()
    return {
        "total": int(total[0]) if total else 0,
        "active": int(total[1]) if total else 0,
        "pending": int(total[2]) if total else 0,
        "tables": [
            ("year", N_("Year of registration"), _counts(con, org, "yearOfRegistration")),
            ("gender", N_("Gender"), _counts(con, org, "gender")),
            ("age_band", N_("Age band at registration"), ages),
            (
                "exploitation",
                N_("Type of exploitation"),
                [(f.label, int(n)) for f, n in zip(flags, by_flag, strict=True)],
            ),
        ],
    }


@router.get("/contribute/stats")
def stats_page(request: Request, session: Contributor) -> Response:
    """Exact counts of the organisation's own cases, as tables (and a CSV to download)."""
    org = _org_name(session)
    stats = _read(hub_of(request), lambda con: _stats(con, org))
    return _page(request, session, "contribute_stats.html", N_("Your records"), **stats)


@router.get("/contribute/stats.csv")
def stats_csv(request: Request, session: Contributor) -> Response:
    """The counts of the stats page as one CSV: dimension, value, cases."""
    hub = hub_of(request)
    org = _org_name(session)
    stats = _read(hub, lambda con: _stats(con, org))
    lines = [["dimension", "value", "cases"], ["total", "", str(stats["total"])]]
    for key, _title, rows in stats["tables"]:
        lines += [[key, "" if value is None else formula_safe_text(value), str(n)] for value, n in rows]
    folder = new_folder(hub)
    out = folder / f"{org}-counts.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)
    record(hub, session.user.name, "download.own", "stats.csv", f"{stats['total']} cases", remote(request))
    return _attachment(out, folder, out.name, "text/csv; charset=utf-8")


# --- the mapping spec: a draft, and dry runs --------------------------------------------------------------


def _dry_run(report: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of ``check_mapping``'s report (never the private file path)."""
    return {
        "rows": report["rows"],
        "stored": report["rows_would_be_stored"],
        "quarantined": report["rows_would_be_quarantined"],
        "skipped": report["rows_skipped"],
        "columns": report["columns"],
        "fields": report["fields_collected"],
        "fields_of": report["fields_in_standard"],
        "rules": [
            {
                "rule": rule,
                "severity": c["severity"],
                "rows": c["rows"],
                "explanation": c.get("explanation", ""),
                "examples": ", ".join(f"{v} ×{n}" for v, n in list(c.get("values", {}).items())[:8]),
            }
            for rule, c in list(report["rules"].items())[:20]
        ],
        "unmapped": [
            (col, ", ".join(f"{v} ×{n}" for v, n in list(values.items())[:10]))
            for col, values in report["unmapped"].items()
        ],
    }


def _mapping_page(request: Request, session: acc.Session, *, status: int = 200, **data: Any) -> Response:
    org = _organisation(hub_of(request), session)
    data.setdefault("draft", "")
    data.setdefault("check", None)
    data.setdefault("problems", [])
    data.setdefault("sample", "")
    data.setdefault("spec_label", "")
    return _page(
        request,
        session,
        "contribute_mapping.html",
        N_("Mapping spec"),
        status=status,
        mapping=mapping_label(org),
        max_size=mb(MAX_UPLOAD_BYTES),
        accept=ACCEPT,
        **data,
    )


@router.get("/contribute/mapping")
def mapping_page(request: Request, session: Contributor) -> Response:
    """Draft a mapping spec from a sample file, or dry-run a spec on a file; nothing is stored."""
    return _mapping_page(request, session)


def _checked(path: Path, text: str, label: str) -> tuple[dict[str, Any] | None, list[ConfigProblem]]:
    """A dry run of the spec `text` on `path`, or the spec's problems."""
    try:
        spec = parse_spec(text, label)
    except ConfigError as exc:
        return None, exc.problems
    return _dry_run(check_mapping(path, spec)), []


def _draft(request: Request, session: acc.Session, folder: Path, form: Received) -> Response:
    try:
        check_csrf(session, form.field("csrf"))
        path = form.files.get("file")
        if path is None:
            raise UploadError(NO_FILE)
        check_type(path)
        profiles, detected = profile_file(path)
        suggestion = suggest_spec(profiles, spec_name=_org_name(session))
        source = {
            k: v for k, v in detected.items() if k in ("format", "sheet", "header_row") and v is not None
        }
        if source.get("format") != "xlsx":
            source.pop("sheet", None)
        text = render_yaml(suggestion, file_label=path.name, source=source)
        check, problems = _checked(path, text, "draft")
    except CtdhubError as exc:
        error = str(library_error(exc, folder))
        return _mapping_page(request, session, status=status_of(exc), error=error)
    finally:
        remove_folder(folder)
    return _mapping_page(
        request, session, draft=text, check=check, problems=problems, sample=path.name, spec_label="draft"
    )


@router.post("/contribute/mapping/draft")
async def mapping_draft(request: Request, session: Contributor) -> Response:
    """A draft spec from a sample file's headers and values, and its dry run on that file."""
    return await _receive_then(request, session, {"file": MAX_UPLOAD_BYTES}, _draft, _mapping_page)


def _spec_text(form: Received, org: acc.Organisation) -> tuple[str | None, str]:
    """The spec to dry-run and its name: an uploaded file, else the pasted text, else (None) the
    organisation's approved spec."""
    upload = form.files.get("spec")
    if upload is not None:
        try:
            return upload.read_text(encoding="utf-8"), upload.name
        except UnicodeDecodeError:
            raise UploadError(N_("The spec file is not UTF-8 text: save it as UTF-8 YAML.")) from None
    if form.field("spec_text").strip():
        return form.field("spec_text"), "spec"
    if org.mapping is None:
        raise UploadError(N_("Upload a mapping spec, paste one, or draft one from a sample file first."))
    return None, mapping_label(org)


def _check(request: Request, session: acc.Session, folder: Path, form: Received) -> Response:
    try:
        check_csrf(session, form.field("csrf"))
        org = _organisation(hub_of(request), session)
        path = form.files.get("file")
        if path is None:
            raise UploadError(NO_FILE)
        check_type(path)
        text, label = _spec_text(form, org)
        if text is None:
            check: dict[str, Any] | None = _dry_run(check_mapping(path, org_spec(org)))
            problems: list[ConfigProblem] = []
        else:
            check, problems = _checked(path, text, label)
    except CtdhubError as exc:
        error = str(library_error(exc, folder))
        return _mapping_page(request, session, status=status_of(exc), error=error)
    finally:
        remove_folder(folder)
    draft = form.field("spec_text") if label == "spec" else ""
    return _mapping_page(
        request, session, check=check, problems=problems, sample=path.name, spec_label=label, draft=draft
    )


@router.post("/contribute/mapping/check")
async def mapping_check(request: Request, session: Contributor) -> Response:
    """A dry run of a spec (uploaded, pasted, or the approved one) on a file: what would be stored."""
    files = {"file": MAX_UPLOAD_BYTES, "spec": MAX_SPEC_BYTES}
    return await _receive_then(request, session, files, _check, _mapping_page, field_limit=MAX_SPEC_BYTES)


@router.post("/contribute/mapping/draft.yaml")
def mapping_download(
    session: Contributor,
    csrf: Csrf = "",
    spec_text: Annotated[str, Form(max_length=MAX_SPEC_BYTES)] = "",
) -> Response:
    """The draft spec shown on the page, back as a YAML file to keep and edit (nothing is stored)."""
    check_csrf(session, csrf)
    name = f"{_org_name(session)}-draft.yaml"
    return Response(
        spec_text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
