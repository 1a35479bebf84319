"""Export the standard as a Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/)."""

from __future__ import annotations

from typing import Any

from ctdhub.geo import resolver
from ctdhub.standard.model import Field, Standard


def _field(f: Field, countries: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "title": f.label, "description": f.description}
    if f.type == "integer":
        out["type"] = "integer"
        if f.minimum is not None:
            out["constraints"] = {"minimum": f.minimum}
    elif f.type == "flag":
        out["type"] = "integer"
        out["constraints"] = {"enum": [0, 1]}
    elif f.type == "country":
        out["type"] = "string"
        out["constraints"] = {"enum": countries}
    else:
        out["type"] = "string"
        out["constraints"] = {"enum": list(f.codes)}
    out["ctdhub:quasiIdentifier"] = f.quasi_identifier
    if f.family:
        out["ctdhub:family"] = f.family
    if f.htcds:
        out["ctdhub:htcds"] = {"field": f.htcds.field, **({"value": f.htcds.value} if f.htcds.value else {})}
    return out


def table_schema(std: Standard) -> dict[str, Any]:
    """The standard's case table as a Table Schema; missing kinds map to distinct missing-value codes."""
    countries = resolver().codes
    hub = [
        {"name": h.name, "title": h.label, "description": h.description, "type": "string"}
        for h in std.hub_fields
    ]
    missing = sorted({m.export_code for m in std.missing})
    return {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "title": f"{std.name} {std.version}",
        "description": std.based_on,
        "fields": hub + [_field(f, countries) for f in std.fields],
        "missingValues": missing,
        "primaryKey": ["case_id"],
        "ctdhub:missingKinds": {m.kind: {"code": m.export_code, "label": m.label} for m in std.missing},
        "ctdhub:families": {
            fam.name: {"label": fam.label, "members": list(fam.members), "notSpecified": fam.not_specified}
            for fam in std.families
        },
    }
