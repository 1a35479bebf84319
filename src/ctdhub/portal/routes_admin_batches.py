"""The hub team's batches page (`/admin/batches`): every contributor's upload, those waiting for approval
first, approved into the next release or reverted (as ``ctdhub batch approve|revert``); each change of
the case store is recorded in the audit log after it is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import duckdb
from fastapi import Form, Request
from fastapi.responses import Response

from ctdhub.errors import CtdhubError
from ctdhub.portal import router
from ctdhub.portal.admin_common import Admin, admin_page, done, status_of_refusal
from ctdhub.portal.auth import check_csrf, hub_of, remote
from ctdhub.portal.routes_common import Csrf, when, write_cases
from ctdhub.portal.uploads import read_store
from ctdhub.publish.web.i18n import N_
from ctdhub.store import accounts as acc
from ctdhub.store.auditlog import record
from ctdhub.store.batches import PENDING, approve_batch, list_batches, revert_batch

BatchId = Annotated[str, Form(alias="batch", max_length=200)]


def _batches_page(request: Request, session: acc.Session, *, status: int = 200, **data: Any) -> Response:
    try:
        rows = read_store(hub_of(request), list_batches)
    except CtdhubError as exc:
        rows = []
        data.setdefault("error", str(exc))
        status = 409 if status == 200 else status
    rows.sort(key=lambda b: str(b["created_at"]), reverse=True)
    rows.sort(key=lambda b: b["status"] != PENDING)  # stable: pending first, each part newest first
    batches = [
        {
            "id": b["batch_id"],
            "status": b["status"],
            "contributor": b["contributor"],
            "file": b["file_name"],
            "read": b["rows_read"],
            "stored": b["rows_stored"],
            "quarantined": b["rows_quarantined"],
            "created": when(b["created_at"]),
        }
        for b in rows
    ]
    return admin_page(
        request,
        session,
        "admin_batches.html",
        N_("Batches"),
        status=status,
        batches=batches,
        pending=sum(1 for b in batches if b["status"] == PENDING),
        **data,
    )


@router.get("/admin/batches")
def batches_page(request: Request, session: Admin) -> Response:
    """Every batch, those waiting for approval first, with approve and revert buttons."""
    return _batches_page(request, session)


def _change_batch(
    request: Request,
    session: acc.Session,
    csrf: str,
    batch_id: str,
    change: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]],
    action: str,
    detail: Callable[[dict[str, Any]], str],
    code: str,
) -> Response:
    """Make one change of a batch in the case store, then its audit entry `action` (its `detail` from
    the change's result), and back to the batches saying `code`; a refused change is the page again."""
    check_csrf(session, csrf)
    hub = hub_of(request)
    try:
        out = write_cases(hub, change)
    except CtdhubError as exc:
        return _batches_page(request, session, status=status_of_refusal(exc), error=str(exc))
    record(hub, session.user.name, action, batch_id, detail(out), remote(request))
    return done(request, "/admin/batches", code)


@router.post("/admin/batches/approve")
def batch_approve(
    request: Request,
    session: Admin,
    csrf: Csrf = "",
    batch_id: BatchId = "",
) -> Response:
    """Let a contributor's pending upload into the next release (as ``ctdhub batch approve``)."""
    return _change_batch(
        request,
        session,
        csrf,
        batch_id,
        lambda con: approve_batch(con, batch_id),
        "batch.approve",
        lambda b: f"{b['rows_stored']} cases",
        "approved",
    )


@router.post("/admin/batches/revert")
def batch_revert(
    request: Request,
    session: Admin,
    csrf: Csrf = "",
    batch_id: BatchId = "",
) -> Response:
    """Remove a batch's cases from the store; it stays listed, reverted (as ``ctdhub batch revert``)."""
    return _change_batch(
        request,
        session,
        csrf,
        batch_id,
        lambda con: revert_batch(con, batch_id),
        "batch.revert",
        lambda r: f"{r['cases_removed']} cases removed",
        "reverted",
    )
