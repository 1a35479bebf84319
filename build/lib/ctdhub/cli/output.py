"""One output contract for every command: human text, or exactly one JSON object with `--json`."""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import click

from ctdhub.errors import CtdhubError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Result:
    """What a command returns: data for `--json`, lines for people."""

    data: dict[str, Any]
    text: list[str] = field(default_factory=list)


def emit_json(obj: dict[str, Any]) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str, indent=None))


def error_line(message: str) -> None:
    click.echo(f"ctdhub: error: {message}", err=True)


def command_output(func: F) -> F:
    """Add `--json` to a command and render its Result (or its CtdhubError) accordingly."""

    @click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool, **kwargs: Any) -> None:
        ctx = click.get_current_context()
        ctx.meta["ctdhub_json"] = as_json
        try:
            result: Result = func(*args, **kwargs)
        except CtdhubError as err:
            if as_json:
                emit_json({"ok": False, **err.to_dict()})
            error_line(str(err))
            sys.exit(err.exit_code)
        except Exception as exc:  # a bug, not bad input: one line, the traceback only on request
            if os.environ.get("CTDHUB_DEBUG"):
                raise
            kind, message = _unexpected(exc)
            if as_json:
                emit_json({"ok": False, "error": kind, "message": message})
            error_line(message)
            sys.exit(1)
        if as_json:
            emit_json({"ok": True, **result.data})
        else:
            for line in result.text:
                click.echo(line)

    return cast(F, wrapper)


def _unexpected(exc: Exception) -> tuple[str, str]:
    """(error kind, one sentence) for an exception that is not a CtdhubError: a full disk is the machine's
    state, not a bug, and says so; anything else is an internal error to report."""
    text = str(exc)
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in text:
        return "DiskFull", (
            "the disk is full (No space left on device): nothing was written, as the store's transaction "
            "was rolled back; free some space and run the command again."
        )
    if isinstance(exc, OSError) and exc.filename and exc.errno in _PATH_ERRNOS:
        # a path the user gave that the system cannot use (a folder below a file, no permission …): their
        # input, not a bug
        return "PathError", f"cannot use {exc.filename}: {exc.strerror or exc}."
    return "InternalError", (
        f"internal error ({type(exc).__name__}: {exc}); set CTDHUB_DEBUG=1 for details and report it."
    )


_PATH_ERRNOS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EROFS, errno.EEXIST}
)


def wants_json() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("ctdhub_json"))
