"""Static assets (CSS, the world geometry, the favicon) served from the package itself at `/static/...`;
`/favicon.ico`, which browsers ask for on their own, redirects to the SVG icon."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

STATIC = Path(__file__).parent / "static"
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".geojson": "application/geo+json",
    ".svg": "image/svg+xml",
}
FAVICON = "/static/favicon.svg"

router = APIRouter(include_in_schema=False)


@router.get("/static/{name:path}")
def static_file(name: str) -> Response:
    """A file of the package's `static/` folder (nothing outside it), cached for a day."""
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        return Response("Not found", status_code=404, media_type="text/plain")
    media = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for `/favicon.ico` by themselves: a permanent redirect to the package's SVG icon."""
    return RedirectResponse(FAVICON, status_code=301, headers={"Cache-Control": "public, max-age=86400"})
