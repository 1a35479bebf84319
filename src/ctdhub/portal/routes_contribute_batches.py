"""A contributor's batch (`/contribute/batches/{id}`): its validation report with the quarantined rows and
their reasons, the open ones to download (``quarantine.csv`` / ``quarantine.xlsx``, audited as
"download.own"), reverting it, and correcting one quarantined row in a form (resubmitted as a one-row
quarantine export: a new batch, pending approval). A batch or a row of another organisation is 404, as
one that does not exist.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ctdhub.errors import CtdhubError
from ctdhub.ingest import IngestReport, resubmit_file
from ctdhub.mapping.explain import explain_rule
from ctdhub.portal import router
from ctdhub.portal.auth import check_csrf, hub_of, remote
from ctdhub.portal.contribute_common import (
    STATUS_LABELS,
    Contributor,
    attachment,
    contribute_page,
    must_read,
    org_name,
    organisation,
)
from ctdhub.portal.pages import lang_of
from ctdhub.portal.routes_common import Csrf, lang_path, when, write_cases
from ctdhub.portal.uploads import (
    UploadError,
    counts_detail,
    library_error,
    new_folder,
    org_spec,
    remove_folder,
    status_of,
    write_store,
)
from ctdhub.publish.web.i18n import N_
from ctdhub.store import Hub
from ctdhub.store import accounts as acc
from ctdhub.store.auditlog import record
from ctdhub.store.batches import LIVE, PENDING, get_batch, revert_batch
from ctdhub.store.quarantine import export_quarantine, export_quarantine_xlsx, formula_safe_text

PAGE_SIZE = 50  # quarantined rows per page of a batch's report
MAX_VALUE_CHARS = 10_000  # one corrected value
NO_BATCH = N_("There is no such batch among your organisation's batches.")
NO_ROW = N_("There is no such quarantined row in this batch.")
ROW_STATUS = {"open": N_("open"), "resubmitted": N_("corrected"), "reverted": N_("reverted")}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _own_batch(con: duckdb.DuckDBPyConnection, org: str, batch_id: str) -> dict[str, Any]:
    """The batch, if it is the organisation's; else 404 (as for a batch that does not exist)."""
    try:
        batch = get_batch(con, batch_id)
    except CtdhubError:
        batch = None
    if batch is None or batch["contributor"] != org:
        raise HTTPException(404, NO_BATCH)
    return batch


# --- a batch's validation report -------------------------------------------------------------------


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
    org = org_name(session)
    try:
        page = max(int(request.query_params.get("page", "1")), 1)
    except ValueError:
        page = 1
    report = must_read(hub, lambda con: _report(con, org, batch_id, page))
    batch = report.pop("batch")
    lang = lang_of(request)
    done = _done_message(request.query_params.get("done"), batch)
    downloads = [("csv", "CSV"), ("xlsx", "Excel")]
    if str(batch["file_name"]).lower().endswith(".xlsx"):
        downloads.reverse()
    return contribute_page(
        request,
        session,
        "contribute_batch.html",
        N_("Validation report"),
        status=status,
        error=error,
        done=lang.gettext(done) if done else None,
        b=batch,
        status_label=STATUS_LABELS.get(batch["status"], batch["status"]),
        created=when(batch["created_at"]),
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
    org = org_name(session)
    folder = new_folder(hub)
    name = f"{batch_id}-quarantine.{kind}"
    export = export_quarantine_xlsx if kind == "xlsx" else export_quarantine

    def run(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        _own_batch(con, org, batch_id)
        return export(con, folder / name, batch_id=batch_id)

    try:
        out = must_read(hub, run)
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
    return attachment(folder / name, folder, name, media)


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
    org = org_name(session)
    must_read(hub, lambda con: _own_batch(con, org, batch_id))

    try:
        out = write_cases(hub, lambda con: revert_batch(con, batch_id))
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
    return RedirectResponse(
        lang_path(request, f"/contribute/batches/{batch_id}?done=reverted"), status_code=303
    )


# --- correcting one row in place ------------------------------------------------------------------


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
    return contribute_page(
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
    org = org_name(session)
    found = must_read(hub_of(request), lambda con: _quarantined_row(con, org, batch_id, source_row))
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
    org = organisation(hub, session)
    found = must_read(hub, lambda con: _quarantined_row(con, org.name, batch_id, source_row))
    try:
        report = _resubmit_row(hub, org, found, value or [])
    except CtdhubError as exc:
        return _row_page(request, session, found, status=status_of(exc), error=str(exc), values=value)
    detail = f"{counts_detail(report)}; corrects {batch_id} row {source_row}"
    record(hub, session.user.name, "resubmit", report.batch_id, detail, remote(request))
    return RedirectResponse(
        lang_path(request, f"/contribute/batches/{report.batch_id}?done=corrected"), status_code=303
    )
