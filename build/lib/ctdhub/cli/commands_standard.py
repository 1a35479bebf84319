"""`ctdhub standard show|export`: the case-data standard as data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ctdhub.cli.output import Result, command_output
from ctdhub.errors import UsageError
from ctdhub.standard import load_standard
from ctdhub.standard.export_markdown import markdown
from ctdhub.standard.export_table_schema import table_schema
from ctdhub.standard.export_xlsx import write_template


@click.group()
def standard() -> None:
    """The case-data standard: summary and exports."""


@standard.command("show")
@command_output
def show() -> Result:
    """Summarise the standard: fields, families, quasi-identifiers."""
    s = load_standard().summary()
    text = [
        f"{s['standard']} {s['version']}: {s['fields']} fields "
        + ", ".join(f"{n} {t}" for t, n in s["fields_by_type"].items()),
        f"quasi-identifiers: {', '.join(s['quasi_identifiers'])}",
        "flag families: " + ", ".join(f"{k} ({v})" for k, v in s["families"].items()),
        f"derived views: {', '.join(s['derived_views'])}",
    ]
    return Result(s, text)


@standard.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table-schema", "markdown", "xlsx"]),
    required=True,
    help="Export format.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (stdout if omitted)."
)
@command_output
def export(fmt: str, out: Path | None) -> Result:
    """Export the standard as a Table Schema, a Markdown data dictionary or an Excel template."""
    std = load_standard()
    if fmt == "xlsx":
        if out is None:
            raise UsageError("The xlsx template needs --out FILE.xlsx.")
        write_template(std, out)
        return Result({"format": fmt, "path": str(out)}, [f"Wrote Excel template to {out}."])
    text = (
        json.dumps(table_schema(std), indent=2, ensure_ascii=False)
        if fmt == "table-schema"
        else markdown(std)
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        return Result({"format": fmt, "path": str(out)}, [f"Wrote {fmt} to {out}."])
    data = (
        {"format": fmt, "schema": table_schema(std)}
        if fmt == "table-schema"
        else {"format": fmt, "text": text}
    )
    return Result(data, [text.rstrip("\n")])
