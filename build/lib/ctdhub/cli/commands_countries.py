"""`ctdhub countries resolve`: look up how the hub reads a country value."""

from __future__ import annotations

import click

from ctdhub.cli.output import Result, command_output
from ctdhub.geo import resolver


@click.group()
def countries() -> None:
    """Countries and regions."""


@countries.command("resolve")
@click.argument("values", nargs=-1, required=True)
@command_output
def resolve(values: tuple[str, ...]) -> Result:
    """Resolve country codes or names (English, French, Spanish) to ISO3 with their regions."""
    r = resolver()
    rows = []
    text = []
    for v in values:
        res = r.resolve(v)
        c = r.get(res.iso3) if res.iso3 else None
        row = {
            "value": v,
            "iso3": res.iso3,
            "method": res.method,
            "reason": res.reason or None,
            "name": c.name_en if c else None,
            "un_region": c.region if c else None,
            "un_subregion": c.subregion if c else None,
            "iom_region": c.iom_region if c else None,
        }
        rows.append(row)
        if c:
            text.append(
                f"{v!r} -> {c.iso3} {c.name_en} ({c.subregion}; {c.iom_region or 'no IOM region'}) [{res.method}]"
            )
        else:
            text.append(f"{v!r} -> unresolved: {res.reason}")
    return Result({"results": rows, "unresolved": sum(1 for r_ in rows if r_["iso3"] is None)}, text)
