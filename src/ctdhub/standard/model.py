"""Typed model of the case-data standard: fields, codes, flag families, derived views, hierarchies."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import field as dc_field
from typing import Any, Literal

from ctdhub.sql import qi

FieldType = Literal["integer", "categorical", "flag", "country"]
MissingKind = Literal["unknown", "not_applicable", "not_collected"]
MISSING_KINDS: tuple[MissingKind, ...] = ("unknown", "not_applicable", "not_collected")

FLAG_CODES = ("0", "1")


@dataclass(frozen=True)
class Code:
    """One value of a closed vocabulary."""

    code: str
    label: str
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HtcdsLink:
    """Where a field comes from in the Human Trafficking Case Data Standard (HTCDS)."""

    field: str
    value: str | None = None
    values: dict[str, str | None] = dc_field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Field:
    """One column of the standard."""

    name: str
    label: str
    type: FieldType
    description: str
    quasi_identifier: bool
    values: tuple[Code, ...] = ()
    family: str | None = None
    hierarchy: str | None = None
    minimum: int | None = None
    htcds: HtcdsLink | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        """Closed vocabulary of a categorical or flag field ('0'/'1' for flags); empty otherwise."""
        if self.type == "flag":
            return FLAG_CODES
        return tuple(c.code for c in self.values)

    @property
    def sql_type(self) -> str:
        return {"integer": "SMALLINT", "flag": "TINYINT"}.get(self.type, "VARCHAR")

    def code(self, value: str) -> Code | None:
        return next((c for c in self.values if c.code == value), None)


@dataclass(frozen=True)
class Family:
    """A group of flags answered together (e.g. means of control).

    A case "has information" in the family when at least one substantive flag (not the
    not-specified flag) is 1; the codebook computes percentages over those cases only.
    """

    name: str
    label: str
    members: tuple[str, ...]
    not_specified: str | None = None
    concatenated: str | None = None
    applies_when: str | None = None

    @property
    def substantive(self) -> tuple[str, ...]:
        return tuple(m for m in self.members if m != self.not_specified)

    def has_info_sql(self, alias: str = "") -> str:
        """SQL boolean: the case has any information in this family."""
        prefix = f"{alias}." if alias else ""
        return "(" + " OR ".join(f"coalesce({prefix}{qi(m)} = 1, false)" for m in self.substantive) + ")"


@dataclass(frozen=True)
class DerivedView:
    """A derived variable (e.g. the 2024 synthetic codebook's grouped means of control)."""

    name: str
    label: str
    any_of: tuple[str, ...]

    def sql(self, alias: str = "") -> str:
        """1 if any source flag is 1; 0 if all known sources are 0; NULL if none is known."""
        prefix = f"{alias}." if alias else ""
        cols = [f"{prefix}{qi(c)}" for c in self.any_of]
        any_one = " OR ".join(f"{c} = 1" for c in cols)
        any_known = " OR ".join(f"{c} IS NOT NULL" for c in cols)
        return f"CASE WHEN {any_one} THEN 1 WHEN {any_known} THEN 0 END"


@dataclass(frozen=True)
class MissingKindInfo:
    kind: MissingKind
    label: str
    export_code: str
    description: str


@dataclass(frozen=True)
class HubField:
    name: str
    label: str
    description: str


@dataclass(frozen=True)
class Standard:
    """The whole standard. Build with `ctdhub.standard.load_standard()`."""

    name: str
    version: str
    based_on: str
    fields: tuple[Field, ...]
    families: tuple[Family, ...]
    derived: tuple[DerivedView, ...]
    missing: tuple[MissingKindInfo, ...]
    hub_fields: tuple[HubField, ...]
    hierarchies: dict[str, Any]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def quasi_identifiers(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.quasi_identifier)

    def family(self, name: str) -> Family:
        for fam in self.families:
            if fam.name == name:
                return fam
        raise KeyError(name)

    def minor_age_bands(self) -> tuple[str, ...]:
        """The age bands (``ageBroad`` codes, in order) whose upper age is below 18: the band decides minor."""
        if not self.has_field("ageBroad"):
            return ()
        return tuple(
            c.code
            for c in self.field("ageBroad").values
            if isinstance(c.extra.get("max_age"), int) and c.extra["max_age"] < 18
        )

    def missing_kind(self, kind: MissingKind) -> MissingKindInfo:
        return next(m for m in self.missing if m.kind == kind)

    def summary(self) -> dict[str, Any]:
        by_type: dict[str, int] = {}
        for f in self.fields:
            by_type[f.type] = by_type.get(f.type, 0) + 1
        return {
            "standard": self.name,
            "version": self.version,
            "fields": len(self.fields),
            "fields_by_type": by_type,
            "quasi_identifiers": list(self.quasi_identifiers),
            "families": {fam.name: len(fam.members) for fam in self.families},
            "derived_views": [d.name for d in self.derived],
        }
