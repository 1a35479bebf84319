"""Mapping specs: how one contributor's file becomes records of the standard (declarative YAML).

A spec names, for EVERY column of the file, what happens to it: mapped to a field (with a value
map), split into a flag family, used to derive fields (year, age band, duration band), dropped
(direct identifiers: never stored) or ignored (not part of the standard). An optional `person_key`
names the column(s) that identify the person (a national ID, a case-management person ID, or name and
date of birth): the store keeps only a keyed hash of them, to link one person's records. An optional
`linkage_key` names the column holding the linkage key the contributor made on its side
(`ctdhub.linkage.keyformat`); that column must be described as `drop`, as its text is restricted data
that only the store's `linkage_keys` table keeps (parsed). Loading validates the YAML against
`mapping.schema.json` and then against the standard, and every problem names the file, the line and the key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ctdhub.errors import ConfigError, ConfigProblem
from ctdhub.geo import resolver
from ctdhub.mapping.identifiers import looks_like_identifier
from ctdhub.standard import Standard, load_standard
from ctdhub.yamlconf import line_of, load_schema, load_yaml_text, plain, read_config_text, validate

Derive = Literal["year", "age", "age_from_birthdate", "months"]
Action = Literal["map", "split", "derive", "drop", "ignore"]

BUILTIN_DIR = "builtin"


@dataclass(frozen=True)
class ColumnRule:
    """What the spec says about one source column."""

    column: str
    action: Action
    field: str | None = None
    values: dict[str, Any] = dc_field(default_factory=dict)
    split: str | None = None
    derive: Derive | None = None
    date_format: str | None = None
    reference: str | None = None
    missing_unknown: tuple[str, ...] = ()
    missing_na: tuple[str, ...] = ()
    reason: str = ""
    optional: bool = True
    line: int | None = None

    def targets(self) -> list[str]:
        """Standard fields this column writes."""
        if self.action == "split":
            out: list[str] = []
            for v in self.values.values():
                out += [v] if isinstance(v, str) else list(v or [])
            return sorted(set(out))
        if self.action == "derive" and self.derive in ("age", "age_from_birthdate"):
            return ["ageBroad", "majorityStatus"]
        return [self.field] if self.field else []


@dataclass(frozen=True)
class LongLayout:
    case: str
    attribute: str
    value: str


@dataclass(frozen=True)
class MappingSpec:
    """A validated mapping spec."""

    name: str
    version: str
    source_path: str
    sha256: str
    description: str
    on_unmapped: Literal["quarantine", "warn"]
    skip_checks: tuple[str, ...]
    source: dict[str, Any]
    long: LongLayout | None
    missing_unknown: tuple[str, ...]
    missing_na: tuple[str, ...]
    constants: dict[str, str]
    columns: dict[str, ColumnRule]
    person_key: tuple[str, ...] = ()  # source columns identifying the person (hashed at ingest)
    linkage_key: str | None = None  # source column of the contributor's linkage keys (a dropped column)


def _strs(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (values or []))


@dataclass
class _Problems:
    """Where a spec's problems are collected: each names the file, the line of its YAML path and the field
    (one object instead of the document, the file name and the list passed to every check)."""

    doc: Any
    source: str
    found: list[ConfigProblem] = dc_field(default_factory=list)

    def add(self, path: list[str | int], msg: str) -> None:
        self.found.append(
            ConfigProblem(self.source, line_of(self.doc, path), ".".join(str(p) for p in path), msg)
        )


def _check_field_values(
    std: Standard,
    fname: str,
    values: dict[str, Any],
    path: list[str | int],
    report: _Problems,
) -> None:
    f = std.field(fname)
    if f.type in ("country", "integer"):
        return
    allowed = set(f.codes)
    for src, target in values.items():
        if target is None:
            continue
        t = str(int(target)) if f.type == "flag" and isinstance(target, bool | int) else str(target)
        if t not in allowed:
            report.add(
                [*path, "values", src],
                f"'{target}' is not a code of {fname} (allowed: {', '.join(sorted(allowed))})",
            )


def _column(std: Standard, name: str, raw: Any, report: _Problems) -> ColumnRule | None:
    """One column's rule from its entry in `columns` (None, with a problem, when the entry is invalid)."""
    path: list[str | int] = ["columns", name]
    line = line_of(report.doc, path)
    if isinstance(raw, str):
        return ColumnRule(name, "drop" if raw == "drop" else "ignore", reason=raw, line=line)
    keys = {k for k in ("field", "split", "derive", "drop", "ignore") if k in raw}
    if "ignore" in raw:
        return _ignore_rule(name, raw, keys, path, line, report)
    if keys == {"drop"}:
        return ColumnRule(name, "drop", reason=str(raw["drop"]), line=line)
    fname = raw.get("field")
    if fname is not None and not std.has_field(fname):
        report.add([*path, "field"], f"'{fname}' is not a field of the standard")
        return None
    base = _base_rule(name, raw, line)
    if "split" in raw:
        return _split_rule(std, base, raw, path, report)
    if raw.get("derive"):
        return _derive_rule(std, base, raw, fname, path, report)
    return _map_rule(std, base, raw, fname, path, report)


def _ignore_rule(
    name: str,
    raw: dict[str, Any],
    keys: set[str],
    path: list[str | int],
    line: int | None,
    report: _Problems,
) -> ColumnRule | None:
    """An `ignore` column's rule; `ignore` must stand alone."""
    if keys - {"ignore"}:
        report.add(path, "'ignore' cannot be combined with field, split, derive or drop")
        return None
    return ColumnRule(name, "ignore", reason=str(raw["ignore"]), line=line)


def _base_rule(name: str, raw: dict[str, Any], line: int | None) -> ColumnRule:
    """What every field-writing rule shares: the column's missing-value codes and whether it is optional."""
    missing = raw.get("missing") or {}
    return ColumnRule(
        name,
        "map",
        missing_unknown=_strs(missing.get("unknown")),
        missing_na=_strs(missing.get("not_applicable")),
        optional=bool(raw.get("optional", True)),
        line=line,
    )


def _values(raw: dict[str, Any]) -> dict[str, Any]:
    """The column's value map, keyed by the source value as text."""
    return {str(k): v for k, v in (raw.get("values") or {}).items()}


def _split_rule(
    std: Standard,
    base: ColumnRule,
    raw: dict[str, Any],
    path: list[str | int],
    report: _Problems,
) -> ColumnRule:
    """A column split into a flag family: every value must map to flag fields of the standard."""
    values = _values(raw)
    for src, target in values.items():
        targets = [target] if isinstance(target, str) else list(target or [])
        for t in targets:
            if not std.has_field(str(t)) or std.field(str(t)).type != "flag":
                report.add(
                    [*path, "values", src],
                    f"'{t}' is not a flag field of the standard",
                )
    return replace(
        base, action="split", values=values, split=str(raw["split"]), reason=str(raw.get("drop", ""))
    )


def _derive_rule(
    std: Standard,
    base: ColumnRule,
    raw: dict[str, Any],
    fname: str | None,
    path: list[str | int],
    report: _Problems,
) -> ColumnRule | None:
    """A column fields are derived from: year and months need a field of the right type, and
    age_from_birthdate a reference date column."""
    derive = raw["derive"]
    needs = {"year": "integer", "months": "categorical"}
    if derive in needs and (fname is None or std.field(fname).type != needs[derive]):
        want = "yearOfRegistration" if derive == "year" else "traffickMonths"
        report.add([*path, "field"], f"derive: {derive} needs a field such as {want}")
        return None
    if derive == "age_from_birthdate" and not raw.get("reference"):
        report.add(
            path,
            "derive: age_from_birthdate needs 'reference': the registration date column",
        )
    return replace(
        base,
        action="derive",
        field=fname,
        derive=derive,
        date_format=raw.get("date_format"),
        reference=raw.get("reference"),
        reason=str(raw.get("drop", "")),
    )


def _map_rule(
    std: Standard,
    base: ColumnRule,
    raw: dict[str, Any],
    fname: str | None,
    path: list[str | int],
    report: _Problems,
) -> ColumnRule | None:
    """A column mapped to one field, its value map checked against the field's codes."""
    if fname is None:
        report.add(
            path,
            "say what happens to this column: field, split, derive, drop or ignore",
        )
        return None
    values = _values(raw)
    _check_field_values(std, fname, values, path, report)
    return replace(base, field=fname, values=values, date_format=raw.get("date_format"))


def parse_spec(text: str, source: str, std: Standard | None = None) -> MappingSpec:
    """Parse and validate a spec's YAML text; `source` names it in errors."""
    std = std or load_standard()
    doc = load_yaml_text(text, source)
    validate(doc, load_schema("ctdhub.mapping", "mapping.schema.json"), source)
    d: dict[str, Any] = plain(doc)
    report = _Problems(doc, source)
    if str(d.get("standard", std.version)) != std.version:
        report.add(["standard"], f"this hub implements standard {std.version}")
    columns: dict[str, ColumnRule] = {}
    for name, raw in d["columns"].items():
        rule = _column(std, name, raw, report)
        if rule:
            columns[name] = rule
    _check_constants(std, d, report)
    _check_references(columns, d, report)
    _check_identifiers(columns, d, report)
    person_key = _person_key(d, report)
    linkage_key = _linkage_key(d, columns, report)
    long = _long_layout(d, report)
    if report.found:
        raise ConfigError(report.found)
    missing = d.get("missing_values") or {}
    return MappingSpec(
        name=d["spec"],
        version=str(d["version"]),
        source_path=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        description=d.get("description", ""),
        on_unmapped=d.get("on_unmapped", "quarantine"),
        skip_checks=tuple(d.get("skip_checks") or ()),
        source={k: v for k, v in (d.get("source") or {}).items() if k not in ("layout", "long")},
        long=long,
        missing_unknown=_strs(missing.get("unknown")),
        missing_na=_strs(missing.get("not_applicable")),
        constants={k: str(v) for k, v in (d.get("constants") or {}).items()},
        columns=columns,
        person_key=person_key,
        linkage_key=linkage_key,
    )


def _check_constants(std: Standard, d: dict[str, Any], report: _Problems) -> None:
    """Each constant must name a field of the standard and, for a coded field, one of its codes."""
    for cname, value in (d.get("constants") or {}).items():
        if not std.has_field(cname):
            report.add(["constants", cname], f"'{cname}' is not a field of the standard")
        elif std.field(cname).codes and str(value) not in std.field(cname).codes:
            report.add(["constants", cname], f"'{value}' is not a code of {cname}")
        elif std.field(cname).type == "country" and _country_code(value) != str(value):
            # a constant is stored as written, so it must already be the code the standard stores
            code = _country_code(value)
            hint = f" (write '{code}')" if code else ""
            report.add(
                ["constants", cname],
                f"'{str(value)[:60]}' is not an ISO 3166 alpha-3 country code{hint}",
            )


def _country_code(value: object) -> str | None:
    """The ISO3 code ``value`` names (a code, a name, a known variant), or None."""
    return resolver().resolve(value).iso3


def _check_identifiers(columns: dict[str, ColumnRule], d: dict[str, Any], report: _Problems) -> None:
    """A column whose header looks like a direct identifier may give a field its values only when the spec
    says `identifier_ok: true`: its values would reach quarantine rows, exports and finding messages.
    (Deriving an age band from a birth date keeps no value, and person keys are hashed.)"""
    for rule in columns.values():
        if rule.action not in ("map", "split") or not looks_like_identifier(rule.column):
            continue
        if (d["columns"].get(rule.column) or {}).get("identifier_ok") is True:
            continue
        report.add(
            ["columns", rule.column],
            f"column '{rule.column}' looks like a direct identifier (a name, phone, address or ID number): "
            "drop it, or add `identifier_ok: true` if its values identify nobody",
        )


def _check_references(columns: dict[str, ColumnRule], d: dict[str, Any], report: _Problems) -> None:
    """A rule's reference column (age_from_birthdate's registration date) must be described in `columns`."""
    for rule in columns.values():
        if rule.reference and rule.reference not in d["columns"]:
            report.add(
                ["columns", rule.column, "reference"],
                f"reference column '{rule.reference}' is not described in columns",
            )


def _long_layout(d: dict[str, Any], report: _Problems) -> LongLayout | None:
    """The long layout's columns when `source.layout` is long (a problem when they are not given)."""
    layout = (d.get("source") or {}).get("layout", "wide")
    long_raw = (d.get("source") or {}).get("long")
    if layout == "long" and not long_raw:
        report.add(["source", "long"], "layout: long needs long: {case, attribute, value}")
    return LongLayout(**long_raw) if layout == "long" and long_raw else None


def _person_key(d: dict[str, Any], report: _Problems) -> tuple[str, ...]:
    """The person-key columns: each must be described in `columns` (so the file is checked for it)."""
    raw = d.get("person_key")
    if raw is None:
        return ()
    names = [raw] if isinstance(raw, str) else [str(c) for c in raw]
    for i, name in enumerate(names):
        if name not in d["columns"]:
            path: list[str | int] = ["person_key"] if isinstance(raw, str) else ["person_key", i]
            report.add(
                path,
                f"person-key column '{name}' is not described in columns (describe it, usually as drop)",
            )
    if len(set(names)) != len(names):
        report.add(["person_key"], "a person-key column is named twice")
    return tuple(names)


def _linkage_key(d: dict[str, Any], columns: dict[str, ColumnRule], report: _Problems) -> str | None:
    """The linkage-key column: described in `columns`, and as `drop` (its text must never reach a field, the
    quarantine copy or a finding)."""
    raw = d.get("linkage_key")
    if raw is None:
        return None
    name = str(raw)
    if name not in d["columns"]:
        report.add(
            ["linkage_key"],
            f"linkage-key column '{name}' is not described in columns (describe it as drop)",
        )
    elif name in columns and columns[name].action != "drop":
        report.add(
            ["columns", name],
            f"column '{name}' holds the linkage keys (linkage_key): describe it as drop, so no key reaches "
            "a field, the quarantine or a finding",
        )
    return name


def builtin_specs() -> list[str]:
    files = resources.files("ctdhub.mapping").joinpath(BUILTIN_DIR)
    return sorted(p.name.removesuffix(".yaml") for p in files.iterdir() if p.name.endswith(".yaml"))


def load_spec(name_or_path: str | Path, std: Standard | None = None) -> MappingSpec:
    """Load a spec from a file path, or a built-in spec by name (e.g. `ctdc-synthetic`)."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return parse_spec(read_config_text(p, "mapping file"), str(p), std)
    name = str(name_or_path)
    if name not in builtin_specs():
        raise ConfigError(
            [
                ConfigProblem(
                    name,
                    None,
                    "",
                    f"no such mapping file or built-in spec (built-in: {', '.join(builtin_specs())})",
                )
            ]
        )
    res = resources.files("ctdhub.mapping").joinpath(BUILTIN_DIR, f"{name}.yaml")
    return parse_spec(res.read_text(encoding="utf-8"), f"builtin:{name}", std)
