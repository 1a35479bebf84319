"""The public data dictionary: the standard's fields, their codes and flag families, as plain JSON data."""

from __future__ import annotations

from functools import cache
from typing import Any

from ctdhub.standard import load_standard
from ctdhub.standard.dimensions import ANY_INFO, GEO_DIMS, SIMPLE_DIMS, UNKNOWN


@cache
def data_dictionary() -> dict[str, Any]:
    """Fields (with codes), flag families, kinds of missing, and the dimensions aggregates are counted by."""
    std = load_standard()
    fields = [
        {
            "name": f.name,
            "label": f.label,
            "type": f.type,
            "description": f.description,
            "family": f.family,
            "values": [{"code": c.code, "label": c.label, "description": c.description} for c in f.values]
            if f.type != "flag"
            else [{"code": "1", "label": "Yes"}, {"code": "0", "label": "No"}],
        }
        for f in std.fields
    ]
    families = [
        {
            "name": fam.name,
            "label": fam.label,
            "members": list(fam.members),
            "not_specified": fam.not_specified,
            "denominator": ANY_INFO,
            "percentages": f"Percentages of a {fam.name} category are over the cases with "
            f"'{ANY_INFO}' in the family (at least one substantive flag), per the codebook.",
        }
        for fam in std.families
    ]
    dims = [
        {
            "name": d,
            "kind": "region" if d in GEO_DIMS else "single",
            "derived_from": GEO_DIMS[d][0] if d in GEO_DIMS else None,
            "missing": UNKNOWN,
        }
        for d in SIMPLE_DIMS
    ] + [
        {"name": fam.name, "kind": "flag family", "derived_from": None, "missing": None}
        for fam in std.families
    ]
    return {
        "standard": std.name,
        "version": std.version,
        "based_on": std.based_on,
        "fields": fields,
        "families": families,
        "missing": [
            {"kind": m.kind, "label": m.label, "export_code": m.export_code, "description": m.description}
            for m in std.missing
        ],
        "dimensions": dims,
    }
