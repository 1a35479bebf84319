"""The mapping stage: declarative YAML specs turn a contributor's columns into the standard."""

from ctdhub.mapping.engine import MappingOutcome, apply_mapping, check_columns
from ctdhub.mapping.spec import ColumnRule, MappingSpec, builtin_specs, load_spec, parse_spec

__all__ = [
    "ColumnRule",
    "MappingOutcome",
    "MappingSpec",
    "apply_mapping",
    "builtin_specs",
    "check_columns",
    "load_spec",
    "parse_spec",
]
