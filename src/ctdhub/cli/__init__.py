"""The `ctdhub` command line: a thin shell over the library functions of each pipeline stage."""

from __future__ import annotations

import sys

import click

from ctdhub import __version__
from ctdhub.cli.commands_access import audit, org, token, user
from ctdhub.cli.commands_briefing import briefing
from ctdhub.cli.commands_countries import countries
from ctdhub.cli.commands_demo import demo
from ctdhub.cli.commands_ingest import batch, ingest, mapping, quarantine
from ctdhub.cli.commands_linkage import duplicates, linkage
from ctdhub.cli.commands_release import release
from ctdhub.cli.commands_serve import serve
from ctdhub.cli.commands_standard import standard
from ctdhub.cli.commands_store import init
from ctdhub.cli.output import emit_json, error_line


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="ctdhub")
def cli() -> None:
    """ctdhub: harmonise, protect and publish counter-trafficking case data."""


cli.add_command(init)
cli.add_command(standard)
cli.add_command(countries)
cli.add_command(ingest)
cli.add_command(quarantine)
cli.add_command(batch)
cli.add_command(mapping)
cli.add_command(demo)
cli.add_command(release)
cli.add_command(serve)
cli.add_command(briefing)
cli.add_command(user)
cli.add_command(org)
cli.add_command(token)
cli.add_command(audit)
cli.add_command(linkage)
cli.add_command(duplicates)


def main(argv: list[str] | None = None) -> None:
    """Entry point: click's usage errors become one sentence on stderr and exit code 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(args=args, prog_name="ctdhub", standalone_mode=False)
    except click.UsageError as exc:
        if type(exc).__name__ in ("NoArgsIsHelpError", "NoArgsIsHelp"):
            click.echo(exc.format_message())
            sys.exit(0)
        message = exc.format_message().rstrip(".") + "."
        hint = f" See '{exc.ctx.command_path} --help'." if exc.ctx else ""
        if "--json" in args:
            emit_json({"ok": False, "error": "UsageError", "message": message})
        error_line(message + hint)
        sys.exit(2)
    except click.exceptions.Abort:
        error_line("aborted.")
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
