"""The hub team's audit log page (`/admin/audit`): the newest entries first, from a given day on and for
one actor.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import Request
from fastapi.responses import Response

from ctdhub.errors import UsageError
from ctdhub.portal import router
from ctdhub.portal.admin_common import Admin, admin_page
from ctdhub.portal.auth import hub_of
from ctdhub.portal.routes_common import when
from ctdhub.publish.web.i18n import N_
from ctdhub.store.auditlog import AuditEntry, entries

AUDIT_LIMIT = 200


def _since(value: str) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{value[:40]!r} is not a date such as 2026-12-01: give the first day to show."
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _entry(e: AuditEntry) -> dict[str, str]:
    return {
        "at": when(e.at),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "detail": e.detail,
        "remote": e.remote,
    }


@router.get("/admin/audit")
def audit_page(request: Request, session: Admin) -> Response:
    """The audit log, newest first (at most AUDIT_LIMIT entries), for a day on and one actor."""
    since_text = request.query_params.get("since", "").strip()[:40]
    user = request.query_params.get("user", "").strip()[:100]
    try:
        since = _since(since_text)
    except UsageError as exc:
        return admin_page(
            request,
            session,
            "admin_audit.html",
            N_("Audit log"),
            status=400,
            error=str(exc),
            rows=[],
            since=since_text,
            user=user,
            limit=AUDIT_LIMIT,
        )
    rows = entries(hub_of(request), since=since, user=user or None, limit=AUDIT_LIMIT)
    return admin_page(
        request,
        session,
        "admin_audit.html",
        N_("Audit log"),
        rows=[_entry(e) for e in rows],
        since=since_text,
        user=user,
        limit=AUDIT_LIMIT,
    )
