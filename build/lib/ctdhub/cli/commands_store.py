"""`ctdhub init`: create a hub store."""

from __future__ import annotations

import click

from ctdhub.cli.output import Result, command_output
from ctdhub.store import init_store

store_option = click.option(
    "--store",
    "store",
    type=click.Path(file_okay=False),
    envvar="CTDHUB_STORE",
    default="hub",
    show_default=True,
    help="Hub store directory (env CTDHUB_STORE).",
)


@click.command()
@store_option
@command_output
def init(store: str) -> Result:
    """Create a hub store (a directory holding the DuckDB database)."""
    hub, created = init_store(store)
    meta = hub.meta()
    verb = "Created" if created else "Found existing"
    return Result(
        {"store": str(hub.path), "database": str(hub.db_path), "created": created, **meta},
        [f"{verb} hub store at {hub.path} (standard {meta.get('standard_version')})."],
    )
