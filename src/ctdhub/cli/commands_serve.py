"""`ctdhub serve`: the public API and dashboard over the hub's published releases."""

from __future__ import annotations

import errno
import os
import socket

import click

from ctdhub.cli.commands_store import store_option
from ctdhub.cli.output import error_line
from ctdhub.errors import CtdhubError
from ctdhub.store import open_store


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option(
    "--release", "release", default=None, help="Serve this release as the default (else the newest)."
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--public-only",
    is_flag=True,
    help="Serve the dashboard and API only, without the portal (sign-in, uploads, administration).",
)
@store_option
def serve(host: str, port: int, release: str | None, workers: int, public_only: bool, store: str) -> None:
    """Serve the dashboard and the public API (/api/v1, docs at /api/docs) over published releases, and the
    portal for accounts (/login, /contribute, /research, /admin) unless --public-only. It listens on
    127.0.0.1: put it behind a reverse proxy with TLS to open it to others (see the user guide)."""
    import uvicorn

    from ctdhub.publish.app import ENV_RELEASE, ENV_RELEASES, ENV_STORE, create_app

    try:
        hub = open_store(store)
        app = create_app(hub.releases_dir, release=release, hub=None if public_only else hub)
        _check_port(host, port)
    except CtdhubError as exc:
        error_line(str(exc))
        raise SystemExit(1) from None
    click.echo(f"Serving {hub.releases_dir} on http://{host}:{port}/ (API docs: /api/docs)", err=True)
    if workers > 1:  # each worker process builds its own app from the environment
        os.environ[ENV_RELEASES] = str(hub.releases_dir)
        os.environ[ENV_RELEASE] = release or ""
        os.environ[ENV_STORE] = "" if public_only else str(hub.path)
        uvicorn.run(
            "ctdhub.publish.app:app_from_env",
            host=host,
            port=port,
            workers=workers,
            factory=True,
            log_level="warning",
            access_log=False,
        )
    else:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _check_port(host: str, port: int) -> None:
    """Refuse, before saying "Serving", an address another process holds (uvicorn would exit 3 after it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except socket.gaierror as err:  # the host is not an address of this machine, nor a name for one
            raise CtdhubError(
                f"cannot listen on {host}:{port}: {err.strerror or err}.",
                hint="Give --host an address of this machine (127.0.0.1, 0.0.0.0) or a name it resolves.",
            ) from None
        except OSError as err:
            hint = (
                "Stop the other server or choose another port with --port."
                if err.errno == errno.EADDRINUSE
                else "Give --host an address of this machine (127.0.0.1, 0.0.0.0) and a free --port."
            )
            raise CtdhubError(f"cannot listen on {host}:{port}: {err.strerror or err}.", hint=hint) from None
