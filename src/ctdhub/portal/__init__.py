"""The portal: the hub as a service for its accounts, a thin shell over the library (like the CLI).

Contributors upload and correct their organisation's files (``/contribute``), researchers get restricted
products after accepting the data-use terms (``/research``), the hub team manages accounts, approves
batches and builds releases (``/admin``); ``/login`` and ``/account`` for everyone with an account, and
``POST /api/v1/uploads`` for scripts with a token (``api_router``, in the OpenAPI document).
``ctdhub.publish.app.create_app`` includes both routers when it is given the hub store. Every route checks
its role (``auth.require``), every form its CSRF token, and every state-changing route writes one audit
entry. The public pages never import from here.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["uploads"])

from ctdhub.portal import (  # noqa: E402,F401  (routes register on the routers)
    routes_account,
    routes_admin,
    routes_admin_accounts,
    routes_admin_audit,
    routes_admin_batches,
    routes_contribute,
    routes_contribute_batches,
    routes_contribute_mapping,
    routes_contribute_records,
    routes_research,
    routes_uploads,
)

__all__ = ["api_router", "router"]
