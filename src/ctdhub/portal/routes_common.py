"""What the hub team's and the contributors' route modules share (it registers no route): links in the
request's language, times as the pages show them, the CSRF form field, a page with a role's own
navigation and its error sentence translated, and one change of the case store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import duckdb
from fastapi import Form, Request
from fastapi.responses import Response

from ctdhub.portal.pages import lang_of, render, with_lang
from ctdhub.portal.uploads import write_store
from ctdhub.store import Hub
from ctdhub.store import accounts as acc

T = TypeVar("T")

Csrf = Annotated[str, Form(max_length=200)]


def lang_path(request: Request, path: str) -> str:
    """`path` in the request's language (as the templates' ``q()``)."""
    return with_lang(path, lang_of(request))


def when(value: datetime | str | None) -> str:
    """A time as shown on the pages: UTC, to the minute."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(text := value)
        except ValueError:
            return text
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M")


def nav_links(
    request: Request, pages: Sequence[tuple[str, str]], home: str | None = None
) -> list[tuple[str, str, bool]]:
    """A role's own navigation: each page's link and title in the request's language, and whether it is
    the current page (with a `home`, also a page below another entry than `home`)."""
    lang = lang_of(request)
    here = request.url.path
    return [
        (
            lang_path(request, p),
            lang.gettext(t),
            here == p or (home is not None and p != home and here.startswith(p + "/")),
        )
        for p, t in pages
    ]


def page(
    request: Request, session: acc.Session, template: str, title: str, *, status: int = 200, **data: Any
) -> Response:
    """A portal page for a signed-in account, its ``error`` (a message or a library's sentence) translated."""
    error = data.pop("error", "")
    return render(
        request,
        template,
        title,
        session=session,
        status=status,
        error=lang_of(request).gettext(error) if error else "",
        **data,
    )


def write_cases(hub: Hub, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """One change of the case store through its single writer (``hub.writer()``), after this process's
    other writes (``write_store``: a store busy for longer is a sentence, 409)."""

    def change() -> T:
        with hub.writer() as con:
            return fn(con)

    return write_store(hub, change)
