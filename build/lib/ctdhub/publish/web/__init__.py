"""The web dashboard: server-rendered pages over `stats()` (the API's data function), in English,
French and Spanish, with every asset shipped in the package. `router` is included by `create_app`."""

from __future__ import annotations

from fastapi import APIRouter

from ctdhub.publish.web import release_pages  # noqa: F401  (registers /downloads and /about)
from ctdhub.publish.web.pages import router as pages_router
from ctdhub.publish.web.static import router as static_router

router = APIRouter(include_in_schema=False)
router.include_router(pages_router)
router.include_router(static_router)

__all__ = ["router"]
