"""A contributor's mapping page (``/contribute/mapping``): a draft spec from a sample file, dry runs of a
spec (uploaded, pasted, or the approved one) on a file, and the draft back as a YAML file. It only reads
the files it is given: nothing is stored, so nothing is audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import Response

from ctdhub.errors import ConfigError, ConfigProblem, CtdhubError
from ctdhub.ingest import check_mapping, profile_file
from ctdhub.mapping import parse_spec
from ctdhub.mapping.suggest import render_yaml, suggest_spec
from ctdhub.portal import router
from ctdhub.portal.auth import check_csrf, hub_of
from ctdhub.portal.contribute_common import (
    ACCEPT,
    Contributor,
    contribute_page,
    org_name,
    organisation,
    receive_then,
    uploaded_file,
)
from ctdhub.portal.routes_common import Csrf
from ctdhub.portal.uploads import (
    MAX_SPEC_BYTES,
    MAX_UPLOAD_BYTES,
    Received,
    UploadError,
    library_error,
    mapping_label,
    mb,
    org_spec,
    remove_folder,
    status_of,
)
from ctdhub.publish.web.i18n import N_
from ctdhub.store import accounts as acc


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
    org = organisation(hub_of(request), session)
    data.setdefault("draft", "")
    data.setdefault("check", None)
    data.setdefault("problems", [])
    data.setdefault("sample", "")
    data.setdefault("spec_label", "")
    return contribute_page(
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
        path = uploaded_file(form)
        profiles, detected = profile_file(path)
        suggestion = suggest_spec(profiles, spec_name=org_name(session))
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
    return await receive_then(request, session, {"file": MAX_UPLOAD_BYTES}, _draft, _mapping_page)


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
        org = organisation(hub_of(request), session)
        path = uploaded_file(form)
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
    return await receive_then(request, session, files, _check, _mapping_page, field_limit=MAX_SPEC_BYTES)


@router.post("/contribute/mapping/draft.yaml")
def mapping_download(
    session: Contributor,
    csrf: Csrf = "",
    spec_text: Annotated[str, Form(max_length=MAX_SPEC_BYTES)] = "",
) -> Response:
    """The draft spec shown on the page, back as a YAML file to keep and edit (nothing is stored)."""
    check_csrf(session, csrf)
    name = f"{org_name(session)}-draft.yaml"
    return Response(
        spec_text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
