"""Validation rules, declared as data: each is a name, a severity, the field it concerns and a SQL
condition over the mapped records that is true when a row breaks it (frictionless-style typed checks).

Severity `error` quarantines the row; `warning` stores it with the warning attached.
Mapping-time findings (unmapped values, unknown countries, unreadable numbers and dates) come from
`ctdhub.mapping`; the rules here check the records once they are in the standard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import duckdb

from ctdhub.sql import qi, ql
from ctdhub.standard import Standard

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """One check. `condition(std)` is SQL over table alias `m`, true when the row breaks the rule."""

    name: str
    severity: Severity
    field: str
    description: str
    condition: Callable[[Standard], str]
    value: Callable[[Standard], str]
    message: Callable[[Standard], str]


def _vocabulary(std: Standard) -> str:
    conds = [
        f"(m.{qi(f.name)} IS NOT NULL AND m.{qi(f.name)} NOT IN ({', '.join(ql(c) for c in f.codes)}))"
        for f in std.fields
        if f.type == "categorical"
    ]
    return " OR ".join(conds)


def _family_any(std: Standard, family: str) -> str:
    return std.family(family).has_info_sql("m")


def _current_year() -> str:
    return "year(current_date)"


RULES: tuple[Rule, ...] = (
    Rule(
        "vocabulary",
        "error",
        "*",
        "Every categorical value is a code of the standard.",
        _vocabulary,
        lambda _std: "NULL",
        lambda _std: "'a value outside the standard''s vocabulary reached validation'",
    ),
    Rule(
        "year_in_future",
        "error",
        "yearOfRegistration",
        "The year of registration is not in the future.",
        lambda _std: f"m.yearOfRegistration > {_current_year()}",
        lambda _std: "CAST(m.yearOfRegistration AS VARCHAR)",
        lambda _std: "'year of registration ' || m.yearOfRegistration || ' is in the future'",
    ),
    Rule(
        "year_too_early",
        "error",
        "yearOfRegistration",
        "The year of registration is not before the standard's minimum.",
        lambda std: f"m.yearOfRegistration < {std.field('yearOfRegistration').minimum or 1900}",
        lambda _std: "CAST(m.yearOfRegistration AS VARCHAR)",
        lambda std: (
            f"'year of registration ' || m.yearOfRegistration || ' is before "
            f"{std.field('yearOfRegistration').minimum or 1900}'"
        ),
    ),
    Rule(
        "majority_vs_age",
        "error",
        "majorityStatus",
        "Majority status agrees with the age band.",
        lambda _std: (
            "(m.majorityStatus = 'Adult' AND m.ageBroad IN ('0--8', '9--17')) OR "
            "(m.majorityStatus = 'Minor' AND m.ageBroad IS NOT NULL AND m.ageBroad NOT IN ('0--8', '9--17'))"
        ),
        lambda _std: "m.majorityStatus || ' / ' || m.ageBroad",
        lambda _std: "'majority status ' || m.majorityStatus || ' contradicts age band ' || m.ageBroad",
    ),
    Rule(
        "labour_type_without_forced_labour",
        "warning",
        "isForcedLabour",
        "An industry of forced labour is set while isForcedLabour = 0.",
        lambda std: (
            f"m.isForcedLabour = 0 AND coalesce(m.isSexAndLabour, 0) = 0 AND {_family_any(std, 'typeOfLabour')}"
        ),
        lambda _std: "'isForcedLabour=0'",
        lambda _std: "'an industry of forced labour is set but isForcedLabour is 0'",
    ),
    Rule(
        "sex_type_without_sexual_exploitation",
        "warning",
        "isSexualExploit",
        "A type of sexual exploitation is set while isSexualExploit = 0.",
        lambda std: (
            f"m.isSexualExploit = 0 AND coalesce(m.isSexAndLabour, 0) = 0 AND {_family_any(std, 'typeOfSex')}"
        ),
        lambda _std: "'isSexualExploit=0'",
        lambda _std: "'a type of sexual exploitation is set but isSexualExploit is 0'",
    ),
    Rule(
        "not_specified_with_values",
        "warning",
        "meansOfControlNotSpecified",
        "A family's not-specified flag is 1 while a specific flag of the family is also 1.",
        lambda std: " OR ".join(
            f"(m.{qi(f.not_specified)} = 1 AND {f.has_info_sql('m')})"
            for f in std.families
            if f.not_specified
        ),
        lambda _std: "NULL",
        lambda _std: "'a not-specified flag is 1 while a specific flag of the same family is also 1'",
    ),
)


def _empty_record(mapped: str, written: list[str]) -> str:
    """Findings for rows in which no column gave any field of the standard a value: stored, such a row would
    be a case made of nothing (a file of empty objects, a spec that maps no column)."""
    blank = " AND ".join(f"m.{qi(f)} IS NULL" for f in written) or "TRUE"
    return (
        f"SELECT m._row, NULL AS \"column\", NULL AS field, NULL AS value, 'empty_record' AS rule, "
        "'error' AS severity, 'no column of the row gives any field of the standard a value' AS message "
        f"FROM {qi(mapped)} m WHERE {blank}"
    )


def run_validation(
    con: duckdb.DuckDBPyConnection,
    std: Standard,
    *,
    mapped: str = "mapped",
    raw: str = "raw",
    findings: str = "val_findings",
    field_columns: dict[str, str] | None = None,
    skip: tuple[str, ...] = (),
) -> None:
    """Create table `findings` (_row, column, field, value, rule, severity, message) for all rules."""
    cols = field_columns or {}
    parts = []
    for rule in RULES:
        if rule.name in skip:
            continue
        column = ql(cols.get(rule.field, rule.field))
        parts.append(
            f'SELECT m._row, {column} AS "column", {ql(rule.field)} AS field, {rule.value(std)} AS value, '
            f"{ql(rule.name)} AS rule, {ql(rule.severity)} AS severity, {rule.message(std)} AS message "
            f"FROM {qi(mapped)} m WHERE {rule.condition(std)}"
        )
    if "empty_record" not in skip:
        parts.append(_empty_record(mapped, sorted(set(cols) & set(std.field_names))))
    if "duplicate_row" not in skip:
        raw_cols = [r[0] for r in con.execute(f"DESCRIBE {qi(raw)}").fetchall() if r[0] != "_row"]
        if raw_cols:
            parts.append(_duplicate_rows(con, raw, raw_cols))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {qi(findings)} AS {' UNION ALL '.join(parts)}")
    con.execute(f"DROP TABLE IF EXISTS {ROW_HASHES}")


ROW_HASHES = "_ctdhub_row_hashes"  # (_row, _h): each raw row's hash, while the duplicates are found


def _duplicate_rows(con: duckdb.DuckDBPyConnection, raw: str, raw_cols: list[str]) -> str:
    """The findings query of rows that repeat an earlier row of the file exactly. Rows are grouped by a 64-bit
    hash of all their values, hashed once into `ROW_HASHES` (hashing every value of a wide file twice was a
    third of the validation), then compared exactly within a group."""
    part = ", ".join(qi(c) for c in raw_cols)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ROW_HASHES} AS SELECT _row, hash({part}) AS _h FROM {qi(raw)}"
    )
    repeated = (
        f"SELECT _row, _h FROM {ROW_HASHES} WHERE _h IN "
        f"(SELECT _h FROM {ROW_HASHES} GROUP BY _h HAVING count(*) > 1)"
    )
    return (
        'SELECT _row, NULL AS "column", NULL AS field, CAST(first_row AS VARCHAR) AS value, '
        "'duplicate_row' AS rule, 'warning' AS severity, "
        "'row repeats row ' || first_row || ' of the same file exactly' AS message FROM ("
        f"SELECT r._row, min(r._row) OVER (PARTITION BY d._h, {', '.join('r.' + qi(c) for c in raw_cols)}) "
        f"AS first_row FROM {qi(raw)} r JOIN ({repeated}) d ON r._row = d._row) WHERE _row <> first_row"
    )
