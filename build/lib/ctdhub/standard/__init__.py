"""The case-data standard, defined once as data (`data/standard-1.0.yaml`) and loaded into typed objects."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from ctdhub.errors import ConfigError, ConfigProblem
from ctdhub.standard.model import (
    MISSING_KINDS,
    Code,
    DerivedView,
    Family,
    Field,
    HtcdsLink,
    HubField,
    MissingKindInfo,
    Standard,
)
from ctdhub.yamlconf import load_schema, load_yaml_text, plain, validate

STANDARD_VERSION = "1.0"
_SOURCE = f"ctdhub/standard/data/standard-{STANDARD_VERSION}.yaml"

__all__ = ["STANDARD_VERSION", "Code", "DerivedView", "Family", "Field", "Standard", "load_standard"]


def _field(d: dict[str, Any]) -> Field:
    h = d.get("htcds")
    known = {"code", "label", "description"}
    return Field(
        name=d["name"],
        label=d["label"],
        type=d["type"],
        description=d["description"],
        quasi_identifier=bool(d["quasi_identifier"]),
        values=tuple(
            Code(
                code=str(v["code"]),
                label=v["label"],
                description=v.get("description", ""),
                extra={k: x for k, x in v.items() if k not in known},
            )
            for v in d.get("values", [])
        ),
        family=d.get("family"),
        hierarchy=d.get("hierarchy"),
        minimum=d.get("minimum"),
        htcds=HtcdsLink(h["field"], h.get("value"), dict(h.get("values", {})), h.get("note", ""))
        if h
        else None,
    )


def _check_references(std: Standard) -> None:
    problems: list[str] = []
    names = set(std.field_names)
    if len(names) != len(std.fields):
        problems.append("duplicate field names")
    fam_names = {f.name for f in std.families}
    for f in std.fields:
        if f.family and f.family not in fam_names:
            problems.append(f"field {f.name} names unknown family {f.family}")
        if f.type == "categorical" and not f.values:
            problems.append(f"categorical field {f.name} has no values")
    for fam in std.families:
        if fam.not_specified and fam.not_specified not in fam.members:
            problems.append(f"family {fam.name}: not_specified {fam.not_specified} is not a member")
    for d in std.derived:
        problems += [f"derived {d.name} uses unknown field {c}" for c in d.any_of if c not in names]
    if problems:
        raise ConfigError([ConfigProblem(_SOURCE, None, "", p) for p in problems])


@cache
def load_standard() -> Standard:
    """Load, validate and return the standard (cached: the standard is immutable)."""
    text = resources.files("ctdhub.standard").joinpath("data", f"standard-{STANDARD_VERSION}.yaml")
    doc = load_yaml_text(text.read_text(encoding="utf-8"), _SOURCE)
    validate(doc, load_schema("ctdhub.standard", "data/standard.schema.json"), _SOURCE)
    d: dict[str, Any] = plain(doc)
    fields = tuple(_field(f) for f in d["fields"])
    families = tuple(
        Family(
            name=fam["name"],
            label=fam["label"],
            members=tuple(f.name for f in fields if f.family == fam["name"]),
            not_specified=fam.get("not_specified"),
            concatenated=fam.get("concatenated"),
            applies_when=fam.get("applies_when"),
        )
        for fam in d["families"]
    )
    std = Standard(
        name=d["standard"],
        version=str(d["version"]),
        based_on=d.get("based_on", ""),
        fields=fields,
        families=families,
        derived=tuple(DerivedView(x["name"], x["label"], tuple(x["any_of"])) for x in d["derived"]),
        missing=tuple(
            MissingKindInfo(
                k, d["missing"][k]["label"], d["missing"][k]["export_code"], d["missing"][k]["description"]
            )
            for k in MISSING_KINDS
        ),
        hub_fields=tuple(HubField(h["name"], h["label"], h["description"]) for h in d["hub_fields"]),
        hierarchies=d["hierarchies"],
    )
    _check_references(std)
    return std
