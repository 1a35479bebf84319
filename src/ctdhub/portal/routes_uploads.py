"""The upload API (``POST /api/v1/uploads``): a contributor's script sends a case file with its API token.

The one portal route in the OpenAPI document (``api_router``), with a bearer security scheme. The token
is checked before the body is read (``require_token``: 401 without a live token, 403 for an account that
is not a contributor's); the file then streams into a private folder (413 above ``MAX_UPLOAD_BYTES``),
must be a CSV, Excel (.xlsx), JSON or Parquet file by name and content (415), and is ingested at once,
with the organisation's approved mapping spec, as a batch pending the hub team's approval: 201 with the
batch id and its counts, and one audit entry "upload". Every refusal is JSON ``{"error": ..., "message":
...}`` (400 for a file the hub cannot read, 409 without an approved mapping spec or for a file sent
already).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ctdhub.errors import CtdhubError
from ctdhub.ingest import IngestReport, ingest_file
from ctdhub.portal import api_router
from ctdhub.portal.auth import hub_of, remote, require_token
from ctdhub.portal.uploads import (
    MAX_UPLOAD_BYTES,
    Received,
    UploadError,
    check_type,
    counts_detail,
    library_error,
    mb,
    new_folder,
    org_spec,
    receive_form,
    refuse_known_file,
    remove_folder,
    write_store,
)
from ctdhub.store import accounts as acc
from ctdhub.store.access import access_db
from ctdhub.store.auditlog import record
from ctdhub.store.batches import PENDING
from ctdhub.store.hub import lock_wait

# declares the scheme in the OpenAPI document; the token itself is checked by `bearer_user`
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="contributorToken",
    description="An API token of a contributor's account (`ctdhub token create NAME`), as "
    "`Authorization: Bearer ctd_…`.",
)


class RuleCount(BaseModel):
    severity: str
    findings: int
    rows: int


class UploadResult(BaseModel):
    """What the hub did with the file: one batch, pending the hub team's approval."""

    batch_id: str
    status: str
    file: str
    mapping: str
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    rows_skipped: int
    warnings: int
    rules: dict[str, RuleCount]


_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("A file the hub cannot read or map (the message says why), or a broken form."),
    401: _error("No API token, or one that is not live (revoked, mistyped, its account disabled)."),
    403: _error("The token's account is not a contributor's."),
    409: _error(
        "The organisation has no approved mapping spec yet, the same file was sent already, or "
        "the store is busy."
    ),
    413: _error(f"The file is larger than {mb(MAX_UPLOAD_BYTES)}."),
    415: _error("Not a CSV, Excel (.xlsx), JSON or Parquet file, by its name or by its content."),
}
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "The case file: .csv, .tsv, .xlsx, .json, .jsonl or .parquet, "
                        f"at most {mb(MAX_UPLOAD_BYTES)}.",
                    }
                },
            }
        }
    },
}


def _refusal(exc: CtdhubError, folder: Path) -> JSONResponse:
    """A refusal as JSON: the upload's own, or the library's sentence (without the store's path) under
    the library's error name (a ConfigError with its problems)."""
    refused = library_error(exc, folder)
    body = refused.to_dict() if isinstance(exc, UploadError) else {**exc.to_dict(), "message": str(refused)}
    return JSONResponse(body, status_code=refused.status)


def _answer(r: IngestReport) -> dict[str, Any]:
    return {
        "batch_id": r.batch_id,
        "status": PENDING,
        "file": Path(r.file).name,
        "mapping": r.mapping,
        "rows_read": r.rows_read,
        "rows_stored": r.rows_stored,
        "rows_quarantined": r.rows_quarantined,
        "rows_skipped": r.rows_skipped,
        "warnings": r.warnings,
        "rules": {
            rule: {"severity": c["severity"], "findings": c["findings"], "rows": c["rows"]}
            for rule, c in r.rules.items()
        },
    }


def _ingest(request: Request, user: acc.User, folder: Path, form: Received) -> Response:
    """Ingest the received file for the user's organisation; the folder is removed afterwards."""
    hub = hub_of(request)
    try:
        path = form.files.get("file")
        if path is None:
            raise UploadError("Send the file in a form field named 'file'.")
        with access_db(hub) as con:
            org = acc.get_org(con, user.org or "")
        if org is None:
            raise UploadError("The token's account belongs to no organisation.", 403)
        spec = org_spec(org)
        check_type(path)
        refuse_known_file(hub, path)
        report = write_store(
            hub,
            lambda: ingest_file(hub, path, org.name, spec, status=PENDING),
            wait=lock_wait(),
        )
    except CtdhubError as exc:
        return _refusal(exc, folder)
    finally:
        remove_folder(folder)
    record(hub, user.name, "upload", report.batch_id, counts_detail(report), remote(request))
    return JSONResponse(_answer(report), status_code=201)


@api_router.post(
    "/uploads",
    status_code=201,
    response_model=UploadResult,
    responses=RESPONSES,
    openapi_extra={"requestBody": REQUEST_BODY},
    summary="Upload a case file of your organisation",
)
async def upload(
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    user: Annotated[acc.User, Depends(require_token(acc.Role.CONTRIBUTOR))],
) -> Response:
    """Ingest a case file of the token's organisation with its approved mapping spec, as one batch that
    waits for the hub team's approval (it goes into no release before). Rows that fail validation are
    quarantined; correct them in the portal (`/contribute`)."""
    hub = hub_of(request)
    folder = await run_in_threadpool(new_folder, hub)
    try:
        form = await receive_form(request, folder, {"file": MAX_UPLOAD_BYTES})
    except UploadError as exc:
        remove_folder(folder)
        return _refusal(exc, folder)
    except BaseException:
        remove_folder(folder)
        raise
    return await run_in_threadpool(_ingest, request, user, folder, form)
