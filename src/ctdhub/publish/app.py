"""The public web application: the API (`/api/v1`), its documentation, the dashboard when installed,
and `/healthz`. Build with `create_app(releases_dir)`; serve with `ctdhub serve`.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ctdhub import __version__
from ctdhub.publish.api import router as api_router
from ctdhub.publish.apidocs import OPENAPI_URL
from ctdhub.publish.app_scope import HEAD_FLAG
from ctdhub.publish.errors import http_error, install_error_handlers
from ctdhub.publish.tables import ReleaseViews
from ctdhub.publish.web import router as web_router
from ctdhub.publish.web.pages import not_found_page
from ctdhub.store.hub import Hub

ENV_RELEASES = "CTDHUB_SERVE_RELEASES"
ENV_RELEASE = "CTDHUB_SERVE_RELEASE"
ENV_STORE = "CTDHUB_SERVE_STORE"  # set: the portal is served over this store
DESCRIPTION = (
    "Differentially private estimates of identified cases of human trafficking, from the hub's published "
    "releases: every figure comes with its 90 % interval, and all figures of a release are tabulations of its "
    "one protected model, so any combination of dimensions and filters is answered consistently."
)


# Sent with every response: the dashboard runs only the package's own scripts (vega-embed and
# dashboard.js, served from /static; Vega's expression interpreter, so no 'unsafe-eval'), and the policy
# forbids inline scripts, frames and foreign origins outright.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """ASGI middleware adding SECURITY_HEADERS to every response that does not set them itself (pure ASGI,
    not BaseHTTPMiddleware, which would add a task per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in self.raw if h[0] not in have)]
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """ASGI middleware answering HEAD like GET without the body: the routes are declared for GET only
    (FastAPI adds no HEAD), so a HEAD request is passed on as GET, and the body it produces is dropped
    while status and headers (Content-Length included) are kept. The server's scope is left untouched,
    so it still knows the request was HEAD."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET", HEAD_FLAG: True}, receive, without_body)


class GzipStatic:
    """ASGI middleware compressing the package's static files (the charts' JavaScript is about 840 kB,
    about 250 kB compressed: it matters on phones) when the client accepts gzip. Pages and API answers
    are left alone: they are small or already fast, and the API's latency target is measured without it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith("/static/"):
            await self.gzip(scope, receive, send)
            return
        await self.app(scope, receive, send)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (Accept names text/html), outside the API."""
    path = request.url.path
    api = path == "/api" or path.startswith("/api/")
    return not api and "text/html" in request.headers.get("accept", "").lower()


async def http_error_page(request: Request, exc: Exception) -> Response:
    """An unknown address asked for by a browser: the dashboard's 404 page (in `?lang=`); a portal's
    refusal (401, 403, …) asked for by a browser: the portal's page for it; everything else (the API,
    clients not asking for HTML): the JSON error."""
    if isinstance(exc, HTTPException) and wants_html(request):
        if exc.status_code == 404:
            return not_found_page(request)
        page = getattr(request.app.state, "html_error", None)
        if page is not None:
            from starlette.concurrency import run_in_threadpool

            response: Response = await run_in_threadpool(page, request, exc.status_code, str(exc.detail))
            return response
    return await http_error(request, exc)


def create_app(releases_dir: Path, *, release: str | None = None, hub: Hub | None = None) -> FastAPI:
    """The app over the releases in `releases_dir` (gate views and tables cached per release id).

    `release` pins the release served as 'latest' to one id (it is checked at start-up). With `hub`, the
    portal (sign-in, contributors, researchers, the hub team, uploads by token) is served too; without, the
    app is public only and never opens anything of the store but its published releases.
    """
    app = FastAPI(
        title="ctdhub",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    views = ReleaseViews(releases_dir)
    if release:
        views.pin(release)
    app.state.release_views = views
    install_error_handlers(app)
    app.add_exception_handler(HTTPException, http_error_page)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(GzipStatic)
    app.add_middleware(HeadAsGet)  # outside the compression: a HEAD gets the headers of the gzipped GET

    app.include_router(api_router)
    if hub is not None:
        from ctdhub.portal import api_router as portal_api_router
        from ctdhub.portal import router as portal_router
        from ctdhub.portal.pages import error_page

        app.state.hub = hub
        app.state.html_error = error_page
        app.include_router(portal_router)
        app.include_router(portal_api_router)
    app.include_router(web_router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"ok": True, "version": __version__})

    return app


def app_from_env() -> FastAPI:
    """Factory for multi-worker servers: releases dir, pinned release and the store (when the portal is
    served) from the environment."""
    store = os.environ.get(ENV_STORE)
    return create_app(
        Path(os.environ[ENV_RELEASES]),
        release=os.environ.get(ENV_RELEASE) or None,
        hub=Hub(Path(store)) if store else None,
    )
