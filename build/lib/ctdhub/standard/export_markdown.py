"""Export the standard as a human-readable Markdown data dictionary (every field with its values)."""

from __future__ import annotations

from ctdhub.geo import resolver
from ctdhub.standard.model import Field, Standard


def _values(f: Field) -> list[str]:
    if f.type == "flag":
        return ["`1` yes", "`0` no"]
    if f.type == "integer":
        return [f"whole number{f' ≥ {f.minimum}' if f.minimum is not None else ''}, not in the future"]
    if f.type == "country":
        return [f"ISO 3166-1 alpha-3 code ({len(resolver().codes)} codes; see the Countries section)"]
    return [f"`{c.code}` {c.label}" + (f" — {c.description}" if c.description else "") for c in f.values]


def markdown(std: Standard) -> str:
    lines = [
        f"# Data dictionary — {std.name} {std.version}",
        "",
        std.based_on + ".",
        "",
        "## Missing values",
        "",
        "Three kinds of missing are kept apart; in flat exports each has its own code.",
        "",
        "| kind | export code | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| {m.label} | `{m.export_code or '(empty)'}` | {m.description} |" for m in std.missing]
    lines += ["", "## Hub fields", "", "| field | meaning |", "|---|---|"]
    lines += [f"| `{h.name}` | {h.description} |" for h in std.hub_fields]
    lines += ["", "## Fields", ""]
    for f in std.fields:
        lines += [f"### `{f.name}` — {f.label}", ""]
        facts = [f"type: {f.type}"]
        if f.quasi_identifier:
            facts.append("quasi-identifier (used by the privacy step)")
        if f.family:
            facts.append(f"family: {std.family(f.family).label}")
        if f.htcds:
            facts.append(f"HTCDS: `{f.htcds.field}`" + (f" = `{f.htcds.value}`" if f.htcds.value else ""))
        lines += ["; ".join(facts) + ".", "", f.description, "", "Values:", ""]
        lines += [f"- {v}" for v in _values(f)]
        lines.append("")
    lines += ["## Flag families", ""]
    lines += [
        "A case has information in a family when at least one of its substantive flags is 1; percentages "
        "use those cases as the denominator (CTDC codebook rule).",
        "",
        "| family | flags | not-specified flag |",
        "|---|---|---|",
    ]
    lines += [
        f"| {fam.label} | {', '.join(f'`{m}`' for m in fam.substantive)} | {fam.not_specified or '—'} |"
        for fam in std.families
    ]
    lines += ["", "## Derived views", "", "| view | is 1 when any of |", "|---|---|"]
    lines += [f"| `{d.name}` ({d.label}) | {', '.join(f'`{c}`' for c in d.any_of)} |" for d in std.derived]
    lines += [
        "",
        "## Countries",
        "",
        "| code | name | UN region | UN sub-region | IOM region |",
        "|---|---|---|---|---|",
    ]
    for c in resolver().region_rows():
        lines.append(
            f"| `{c['iso3']}` | {c['name_en']} | {c['un_region'] or ''} | {c['un_subregion'] or ''} "
            f"| {c['iom_region'] or ''} |"
        )
    return "\n".join(lines) + "\n"
