"""JSON error responses for the public app: a status, `{"error", "message"}`, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ctdhub.errors import CtdhubError
from ctdhub.publish.stats import StatsError
from ctdhub.publish.tables import ReleaseWithdrawn

log = logging.getLogger("ctdhub.publish")


def _body(error: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": error, "message": message, **extra}


def status_for(exc: CtdhubError) -> int:
    """StatsError: 400; a withdrawn release: 410; anything not public or not there: 404."""
    if isinstance(exc, StatsError):
        return 400
    if isinstance(exc, ReleaseWithdrawn):
        return 410
    return 404


async def ctdhub_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CtdhubError)
    return JSONResponse(exc.to_dict(), status_code=status_for(exc))


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"parameter": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    message = "; ".join(f"{p['parameter']}: {p['message']}" for p in problems) or "Invalid request."
    return JSONResponse(_body("ValidationError", message, problems=problems), status_code=422)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = str(exc.detail) if exc.status_code != 404 else f"There is nothing at {request.url.path}."
    return JSONResponse(_body("HTTPError", message), status_code=exc.status_code, headers=exc.headers)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    return JSONResponse(_body("InternalError", "The server could not answer this request."), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CtdhubError, ctdhub_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
