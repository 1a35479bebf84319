"""Apply a mapping spec to a raw table in DuckDB: one SELECT builds the standard records, and one
UNION of per-column queries lists every value the spec could not map (the data officer's work queue).

Input: a table of VARCHAR columns plus `_row` (see `ctdhub.read`). Output: table `mapped` (`_row`,
every standard field typed, `na_fields`, `person_key` when the spec names one and the hub's secret is
given: see `ctdhub.mapping.person_key`, and `linkage_key` when the spec names a linkage-key column) and
table `map_findings` (_row, column, field, value, rule, severity, message). Country columns go through the
country resolver once per distinct value.

`linkage_key` holds the row's well-formed linkage key (`ctdhub.linkage.keyformat`), else NULL; it is
restricted data: only `ctdhub.store.batches.write_batch` reads it, into the store's `linkage_keys` table. A
non-blank value that is not a key gives the row a warning (`linkage_key_invalid`) whose value is NULL and
whose message names the row and the column, never the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from ctdhub.errors import CtdhubError
from ctdhub.geo import resolver
from ctdhub.linkage import keyformat
from ctdhub.mapping import derive as dv
from ctdhub.mapping import person_key as pk
from ctdhub.mapping.spec import ColumnRule, MappingSpec
from ctdhub.mapping.values import norm, split_map, value_map
from ctdhub.sql import in_list, qi, ql, ql_list, strip
from ctdhub.standard import Field, Standard, load_standard

FINDING_COLUMNS = '_row, "column", field, value, rule, severity, message'
LINKAGE_KEY = "linkage_key"  # `mapped`'s column of well-formed keys, read by ctdhub.store.batches.write_batch
LINKAGE_KEY_INVALID = "linkage_key_invalid"


@dataclass
class MappingOutcome:
    """What mapping did to one file."""

    rows: int
    used_columns: list[str]
    dropped_columns: list[str]
    ignored_columns: list[str]
    collected_fields: list[str]
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class _Build:
    """Accumulates SQL pieces while walking the spec's columns."""

    contributions: dict[str, list[str]] = field(default_factory=dict)
    na_conditions: dict[str, list[str]] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    row_checks: list[tuple[str, str]] = field(default_factory=list)  # (condition, struct) checked in one scan
    joins: list[str] = field(default_factory=list)

    def add(self, target: str, expr: str) -> None:
        self.contributions.setdefault(target, []).append(expr)

    def na(self, target: str, cond: str) -> None:
        self.na_conditions.setdefault(target, []).append(cond)


def check_columns(spec: MappingSpec, columns: list[str], file_label: str) -> None:
    """Every file column must be described by the spec, so a new PII column cannot slip in."""
    unknown = [c for c in columns if c not in spec.columns]
    if unknown:
        listed = ", ".join(f"'{c}'" for c in unknown[:8]) + (" …" if len(unknown) > 8 else "")
        raise CtdhubError(
            f"{file_label}: column(s) {listed} are neither mapped nor dropped by mapping '{spec.name}' "
            f"({spec.source_path}); nothing was ingested.",
            hint="Add each to 'columns' as a field, or as {drop: reason} for identifiers, or {ignore: reason}.",
        )
    writers: dict[str, str] = {}
    for col in columns:
        rule = spec.columns[col]
        if rule.action in ("map", "derive"):
            for t in rule.targets():
                if t in writers:
                    raise CtdhubError(
                        f"{file_label}: columns '{writers[t]}' and '{col}' both write field {t} under mapping "
                        f"'{spec.name}'; nothing was ingested.",
                        hint="A spec may name alternative spellings of a column, but a file may hold only one.",
                    )
                writers[t] = col
    missing = [r.column for r in spec.columns.values() if not r.optional and r.column not in columns]
    if missing:
        raise CtdhubError(
            f"{file_label}: required column(s) {', '.join(repr(c) for c in missing)} of mapping "
            f"'{spec.name}' are not in the file; nothing was ingested."
        )


CHECKS = "_row_checks"  # transient column of `target`: the findings of each row


class _Mapper:
    def __init__(self, con: duckdb.DuckDBPyConnection, spec: MappingSpec, std: Standard, source: str) -> None:
        self.con, self.spec, self.std, self.source = con, spec, std, source
        self.b = _Build()
        cols = [r[0] for r in con.execute(f"DESCRIBE {qi(source)}").fetchall() if r[0] != "_row"]
        self.src = dv.prepared(source, cols)
        self.derived = dv.Derived()
        self.severity_unmapped = "error" if spec.on_unmapped == "quarantine" else "warning"
        self._lookups = 0

    # -- helpers -------------------------------------------------------------------------------------
    def missing_lists(self, rule: ColumnRule) -> tuple[list[str], list[str]]:
        unknown = [norm(v) for v in (*self.spec.missing_unknown, *rule.missing_unknown)]
        na = [norm(v) for v in (*self.spec.missing_na, *rule.missing_na)]
        return unknown, na

    def finding(
        self,
        rule: ColumnRule,
        fld: str,
        cond: str,
        name: str,
        severity: str,
        message_sql: str,
        value_sql: str | None = None,
    ) -> None:
        value = value_sql or dv.text(rule.column)
        struct = (
            f"{{'column': {ql(rule.column)}, 'field': {ql(fld)}, 'value': CAST({value} AS VARCHAR), "
            f"'rule': {ql(name)}, 'severity': {ql(severity)}, 'message': CAST({message_sql} AS VARCHAR)}}"
        )
        self.b.row_checks.append((cond, struct))

    def not_missing(self, rule: ColumnRule) -> str:
        unknown, na = self.missing_lists(rule)
        return f"({dv.text(rule.column)} IS NOT NULL AND NOT {in_list(dv.key(rule.column), unknown + na)})"

    def add_na(self, rule: ColumnRule, targets: list[str]) -> None:
        _, na = self.missing_lists(rule)
        if na:
            for t in targets:
                self.b.na(t, in_list(dv.key(rule.column), na))

    def bad_value(self, rule: ColumnRule, fld: str, ok_sql: str, name: str, what: str) -> None:
        msg = f"'value ''' || {dv.text(rule.column)} || ''' in column {rule.column.replace(chr(39), '')} {what}'"
        self.finding(
            rule, fld, f"{self.not_missing(rule)} AND NOT coalesce({ok_sql}, false)", name, "error", msg
        )

    # -- column kinds --------------------------------------------------------------------------------
    def map_column(self, rule: ColumnRule) -> None:
        assert rule.field is not None
        f = self.std.field(rule.field)
        if f.type == "country":
            return self.map_country(rule)
        if f.type == "integer":
            n = self.derived.whole_number(rule.column)
            self.b.add(f.name, f"CASE WHEN {self.not_missing(rule)} THEN {n} END")
            self.bad_value(rule, f.name, f"{n} IS NOT NULL", "not_a_number", "is not a whole number")
            self.add_na(rule, [f.name])
            return None
        vmap = value_map(f, rule.values)
        unknown, na = self.missing_lists(rule)
        missing = set(unknown + na)  # missing-value codes win over a value map entry
        pairs = [(src, code) for src, code in vmap.items() if code is not None and src not in missing]
        value = self.derived.lookup(rule.column, f.name, pairs)
        self.b.add(f.name, f"CAST({value} AS {f.sql_type})")
        silent = [src for src, code in vmap.items() if code is None] + unknown + na  # known, no code
        cond = f"{value} IS NULL AND {dv.text(rule.column)} IS NOT NULL"
        if silent:
            cond += f" AND NOT list_contains({ql_list(dict.fromkeys(silent))}, {dv.key(rule.column)})"
        msg = (
            f"'value ''' || {dv.text(rule.column)} || ''' in column {rule.column.replace(chr(39), '')} "
            f"is not mapped to a code of {f.name}'"
        )
        self.finding(rule, f.name, cond, "unmapped_value", self.severity_unmapped, msg)
        self.add_na(rule, [f.name])
        return None

    def map_country(self, rule: ColumnRule) -> None:
        assert rule.field is not None
        i = self._lookups
        self._lookups += 1
        res = resolver()
        overrides = {norm(k): v for k, v in rule.values.items()}
        distinct = [
            r[0]
            for r in self.con.execute(
                f"SELECT DISTINCT trim({qi(rule.column)}) FROM {self.src} WHERE {dv.text(rule.column)} IS NOT NULL"
            ).fetchall()
        ]
        keys, iso, method, reason = [], [], [], []
        for value in distinct:
            if norm(value) in overrides:
                target = overrides[norm(value)]
                r = res.resolve(target) if target is not None else None
                keys.append(value)
                iso.append(r.iso3 if r else None)
                method.append("mapping" if r and r.ok else "unknown")
                reason.append(
                    "" if r is None or r.ok else f"the mapping maps it to '{target}', which is not a country"
                )
                continue
            r = res.resolve(value)
            keys.append(value)
            iso.append(r.iso3)
            method.append(r.method)
            reason.append(r.reason)
        name = f"_country_lookup_{i}"
        tbl = pa.table(
            {
                "_lk": pa.array(keys, pa.string()),
                "_iso3": pa.array(iso, pa.string()),
                "_method": pa.array(method, pa.string()),
                "_reason": pa.array(reason, pa.string()),
            }
        )
        self.con.register(f"{name}_arrow", tbl)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(f"{name}_arrow")
        alias = f"c{i}"
        self.b.joins.append(f"LEFT JOIN {name} {alias} ON {alias}._lk = trim(r.{qi(rule.column)})")
        self.b.add(rule.field, f"CASE WHEN {self.not_missing(rule)} THEN {alias}._iso3 END")
        self.add_na(rule, [rule.field])
        # findings: unresolved (error) and pattern matches (warning)
        base = (
            f'SELECT r._row, {ql(rule.column)} AS "column", {ql(rule.field)} AS field, '
            f"{dv.text(rule.column)} AS value, "
        )
        src = f"FROM {self.src} r JOIN {name} {alias} ON {alias}._lk = trim(r.{qi(rule.column)})"
        col = rule.column.replace("'", "")
        self.b.findings.append(
            base + f"'unknown_country' AS rule, {ql(self.severity_unmapped)} AS severity, "
            f"'value ''' || {dv.text(rule.column)} || ''' in column {col} is not a country the hub knows: ' "
            f"|| {alias}._reason AS message {src} WHERE {alias}._iso3 IS NULL AND {self.not_missing(rule)}"
        )
        self.b.findings.append(
            base + "'country_pattern_match' AS rule, 'warning' AS severity, "
            f"'value ''' || {dv.text(rule.column)} || ''' in column {col} was read as ' || {alias}._iso3 || "
            f"' by a name pattern; confirm it in the mapping''s values' AS message {src} "
            f"WHERE {alias}._method = 'pattern' AND {self.not_missing(rule)}"
        )

    def split_column(self, rule: ColumnRule) -> None:
        assert rule.split is not None
        smap = split_map(rule.values)
        unknown, na = self.missing_lists(rule)
        # A value that is itself a known token is not split (labels may contain the separator,
        # e.g. "Water supply; sewerage, waste management and remediation").
        # The tokens, and whether one of them is not mapped, are columns of `Derived` computed once per row:
        # written into each flag's expression, they were computed again for every flag of the column.
        keys_sql = ql_list(list(smap))
        tokens = self.derived.tokens(rule.column, rule.split, keys_sql)
        has_info = self.not_missing(rule)
        targets = rule.targets()
        # a token the spec does not map (a row kept under `on_unmapped: warn`) may mean any flag: the flags
        # no mapped token sets are then unknown, not 0
        unmapped = self.derived.any_unmapped(rule.column, tokens, keys_sql)
        for t in targets:
            keys = [k for k, flags in smap.items() if t in flags]
            self.b.add(
                t,
                # a cell of separators only ("; ;") says nothing: its flags stay unknown
                f"CAST(CASE WHEN {has_info} AND len({tokens}) > 0 THEN (CASE WHEN list_has_any({tokens}, "
                f"{ql_list(keys)}) THEN 1 WHEN {unmapped} THEN NULL ELSE 0 END) END AS TINYINT)",
            )
        self.add_na(rule, targets)
        known = ql_list(list(smap) + unknown + na)
        whole = f"lower(trim(r.{qi(rule.column)}))"
        raw_tokens = (
            f"(CASE WHEN list_contains({keys_sql}, {whole}) THEN [trim(r.{qi(rule.column)})] ELSE "
            f"list_transform(string_split(r.{qi(rule.column)}, {ql(rule.split)}), lambda x: {strip('x')}) END)"
        )
        unmapped_list = (
            f"list_filter({raw_tokens}, lambda x: x <> '' AND NOT list_contains({known}, lower(x)))"
        )
        col = rule.column.replace("'", "")
        self.b.findings.append(
            f'SELECT _row, {ql(rule.column)} AS "column", {ql(",".join(targets))} AS field, value, '
            f"'unmapped_value' AS rule, {ql(self.severity_unmapped)} AS severity, "
            f"'value ''' || value || ''' in multi-select column {col} is not mapped to a flag' AS message "
            f"FROM (SELECT _row, unnest({unmapped_list}) AS value FROM {self.src} r WHERE {has_info})"
        )

    def derive_column(self, rule: ColumnRule) -> None:
        c = rule.column
        if rule.derive == "year":
            assert rule.field is not None
            y = self.derived.year_of(c, rule.date_format)
            self.b.add(rule.field, f"CASE WHEN {self.not_missing(rule)} THEN {y} END")
            self.bad_value(
                rule,
                rule.field,
                f"{y} IS NOT NULL",
                "not_a_date",
                f"is not a date{' in format ' + rule.date_format + ' or ISO' if rule.date_format else ''}",
            )
            self.add_na(rule, [rule.field])
        elif rule.derive == "months":
            assert rule.field is not None
            m = self.derived.number(c)
            self.b.add(
                rule.field, f"CASE WHEN {self.not_missing(rule)} THEN {dv.months_band(self.std, m)} END"
            )
            self.bad_value(rule, rule.field, f"{m} >= 0", "not_a_duration", "is not a number of months")
            self.add_na(rule, [rule.field])
        else:
            if rule.derive == "age":
                age = self.derived.whole_number(c)
                what = "is not an age in whole years"
            else:
                ref = self.spec.columns[rule.reference or ""]
                age = self.derived.age_from_birthdate(c, ref.column, rule.date_format, ref.date_format)
                what = "is not a birth date" + (
                    f" in format {rule.date_format} or ISO" if rule.date_format else ""
                )
                self.bad_value(
                    rule,
                    "ageBroad",
                    f"{self.derived.date(c, rule.date_format)} IS NOT NULL",
                    "not_a_date",
                    what,
                )
            ok = f"({age} BETWEEN 0 AND {dv.MAX_AGE})"
            self.b.add(
                "ageBroad",
                f"CASE WHEN {self.not_missing(rule)} AND {ok} THEN {dv.age_band(self.std, age)} END",
            )
            self.b.add(
                "majorityStatus", f"CASE WHEN {self.not_missing(rule)} AND {ok} THEN {dv.majority(age)} END"
            )
            if rule.derive == "age":
                self.bad_value(rule, "ageBroad", f"{age} IS NOT NULL", "not_a_number", what)
            self.finding(
                rule,
                "ageBroad",
                f"{self.not_missing(rule)} AND {age} IS NOT NULL AND NOT {ok}",
                "age_out_of_range",
                "error",
                f"'age ' || CAST({age} AS VARCHAR) || ' from column {c.replace(chr(39), '')} is outside "
                f"0 to {dv.MAX_AGE}'",
            )
            self.add_na(rule, ["ageBroad", "majorityStatus"])

    # -- assembly ------------------------------------------------------------------------------------
    def person_key_sql(self) -> str:
        """The keyed hash of the spec's person-key columns (missing-value codes of any of them: no key)."""
        missing = [*self.spec.missing_unknown, *self.spec.missing_na]
        for col in self.spec.person_key:
            rule = self.spec.columns[col]
            missing += [*rule.missing_unknown, *rule.missing_na]
        return f", {pk.key_sql(self.spec.person_key, missing)} AS person_key"

    def linkage_key_sql(self) -> str:
        """The row's linkage key when well formed (else NULL), and a warning for a non-blank value that is not
        one: the finding's value is NULL and its message names the row and the column, never the text."""
        col = self.spec.linkage_key
        assert col is not None
        text = dv.text(col)
        valid = keyformat.valid_sql(text)
        message = (
            f"'row ' || CAST(r._row AS VARCHAR) || ': column {col.replace(chr(39), '')} does not hold a valid "
            f"linkage key ({keyformat.VERSION}); the row is stored without one (the value is not shown)'"
        )
        struct = (
            f"{{'column': {ql(col)}, 'field': CAST(NULL AS VARCHAR), 'value': CAST(NULL AS VARCHAR), "
            f"'rule': {ql(LINKAGE_KEY_INVALID)}, 'severity': 'warning', 'message': CAST({message} AS VARCHAR)}}"
        )
        self.b.row_checks.append((f"({text} IS NOT NULL AND NOT {valid})", struct))
        return f", CAST(CASE WHEN {valid} THEN {text} END AS VARCHAR) AS {LINKAGE_KEY}"

    def apply_rules(self, columns: list[str]) -> None:
        """Collect the SQL pieces of each file column's map, split or derive rule."""
        for col in columns:
            rule = self.spec.columns[col]
            if rule.action == "map":
                self.map_column(rule)
            elif rule.action == "split":
                self.split_column(rule)
            elif rule.action == "derive":
                self.derive_column(rule)

    def add_constants(self) -> None:
        """Contribute the spec's constant fields, cast to each field's SQL type."""
        for fname, value in self.spec.constants.items():
            f = self.std.field(fname)
            self.b.add(fname, f"CAST({ql(value)} AS {f.sql_type})")

    def field_expr(self, f: Field) -> str:
        """One standard field's expression: NULL, its one contribution, or the contributions combined."""
        parts = self.b.contributions.get(f.name)
        if not parts:
            return f"CAST(NULL AS {f.sql_type})"
        if len(parts) == 1:
            return parts[0]
        if f.type == "flag":
            return f"greatest({', '.join(parts)})"
        return f"coalesce({', '.join(parts)})"

    def na_fields_expr(self) -> str:
        """The list of fields each row holds as 'not applicable'."""
        na_items = [
            f"CASE WHEN {' OR '.join(conds)} THEN {ql(t)} END" for t, conds in self.b.na_conditions.items()
        ]
        if not na_items:
            return "[]::VARCHAR[]"
        return f"list_filter([{', '.join(na_items)}]::VARCHAR[], lambda x: x IS NOT NULL)"

    def check_column_sql(self) -> str:
        """The transient column listing each row's findings ('' when the spec has no row checks)."""
        # One scan of the source computes the standard's columns and, beside them, the list of per-row
        # findings (usually empty); the findings are then unnested from that column, not from a second scan.
        checks = ", ".join(f"CASE WHEN {cond} THEN {struct} END" for cond, struct in self.b.row_checks)
        if not checks:
            return ""
        # the list is only built for the few rows where some check fires (CASE evaluates lazily). A NULL
        # condition counts as false in a CASE, so the conditions are OR-ed bare: wrapped in coalesce(), each
        # was evaluated over every row, where a bare OR/AND chain in a CASE condition only evaluates each
        # term on the rows still undecided (about a third of the mapping's time on a narrow CTDC file)
        any_check = " OR ".join(f"({c})" for c, _ in self.b.row_checks)
        return (
            f", CASE WHEN {any_check} THEN list_filter([{checks}], lambda x: x IS NOT NULL) END AS {CHECKS}"
        )

    def findings_union(self) -> str:
        """The UNION of all findings queries, or an empty query of the findings' columns."""
        if self.b.findings:
            return " UNION ALL ".join(self.b.findings)
        return (
            'SELECT NULL::BIGINT AS _row, NULL::VARCHAR AS "column", NULL::VARCHAR AS field, NULL::VARCHAR AS value, '
            "NULL::VARCHAR AS rule, NULL::VARCHAR AS severity, NULL::VARCHAR AS message WHERE false"
        )

    def build(
        self,
        columns: list[str],
        target: str,
        findings: str,
        person_key: bool = False,
        linkage_key: bool = False,
    ) -> None:
        """Create table `target` (the standard records) and table `findings` from the source."""
        self.apply_rules(columns)
        self.add_constants()
        selects = [f"{self.field_expr(f)} AS {qi(f.name)}" for f in self.std.fields]
        linkage = self.linkage_key_sql() if linkage_key else ""  # adds its row check: before check_column_sql
        check_col = self.check_column_sql()
        sql = (
            f"CREATE OR REPLACE TEMP TABLE {qi(target)} AS SELECT r._row, {', '.join(selects)}, {self.na_fields_expr()} AS na_fields"
            f"{self.person_key_sql() if person_key else ''}{linkage}{check_col} "
            f"FROM {self.derived.wrap(self.src)} r {' '.join(self.b.joins)}"
        )
        self.con.execute(sql)
        if check_col:
            self.b.findings.append(
                "SELECT _row, f['column'] AS \"column\", f['field'] AS field, f['value'] AS value, "
                "f['rule'] AS rule, f['severity'] AS severity, f['message'] AS message FROM ("
                f"SELECT _row, unnest({CHECKS}) AS f FROM {qi(target)} WHERE {CHECKS} IS NOT NULL)"
            )
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {qi(findings)} AS SELECT {FINDING_COLUMNS} FROM ({self.findings_union()})"
        )
        if check_col:
            self.con.execute(f"ALTER TABLE {qi(target)} DROP COLUMN {CHECKS}")


def apply_mapping(
    con: duckdb.DuckDBPyConnection,
    spec: MappingSpec,
    *,
    source: str = "raw",
    target: str = "mapped",
    findings: str = "map_findings",
    file_label: str = "file",
    std: Standard | None = None,
    person_secret: bytes | None = None,
    linkage_key_required: bool = True,
) -> MappingOutcome:
    """Map `source` into `target` and `findings` tables; raise CtdhubError if a column is not described.

    With `person_secret` (the hub's secret) and a spec naming a person key, `target` also gets the column
    `person_key`: the keyed hash of the person-key columns, which must all be in the file.

    With a spec naming a linkage-key column, `target` also gets the column `linkage_key` (restricted: see
    the module's docstring). The column must be in the file unless `linkage_key_required` is false (a
    corrected quarantine export, from which the column was withheld: its rows then have no key)."""
    std = std or load_standard()
    columns = [r[0] for r in con.execute(f"DESCRIBE {qi(source)}").fetchall() if r[0] != "_row"]
    check_columns(spec, columns, file_label)
    keyed = bool(spec.person_key) and person_secret is not None
    absent = [c for c in spec.person_key if c not in columns] if keyed else []
    if absent:
        raise CtdhubError(
            f"{file_label}: person-key column(s) {', '.join(repr(c) for c in absent)} of mapping "
            f"'{spec.name}' are not in the file; nothing was ingested.",
            hint="Every column the spec's person_key names is needed to link a person's records.",
        )
    linked = spec.linkage_key is not None and spec.linkage_key in columns
    if spec.linkage_key is not None and not linked and linkage_key_required:
        raise CtdhubError(
            f"{file_label}: linkage-key column '{spec.linkage_key}' of mapping '{spec.name}' is not in the "
            "file; nothing was ingested.",
            hint="The spec's linkage_key names the column holding the linkage keys made for this file.",
        )
    mapper = _Mapper(con, spec, std, source)
    if keyed:
        assert person_secret is not None
        with pk.secret_bound(con, person_secret):
            mapper.build(columns, target, findings, person_key=True, linkage_key=linked)
    else:
        mapper.build(columns, target, findings, linkage_key=linked)
    rows = con.execute(f"SELECT count(*) FROM {qi(source)}").fetchone()
    present = [spec.columns[c] for c in columns]
    collected = set(spec.constants)
    for r in present:
        if r.action in ("map", "split", "derive"):
            collected.update(r.targets())
    unmapped: dict[str, dict[str, int]] = {}
    for col, value, n in con.execute(
        f"SELECT \"column\", value, count(*) FROM {qi(findings)} WHERE rule IN ('unmapped_value', 'unknown_country') "
        "GROUP BY ALL ORDER BY 1, 3 DESC"
    ).fetchall():
        unmapped.setdefault(col, {})[value] = n
    return MappingOutcome(
        rows=int(rows[0]) if rows else 0,
        used_columns=[r.column for r in present if r.action in ("map", "split", "derive")],
        dropped_columns=[
            r.column for r in present if r.action == "drop" or (r.reason and r.action == "derive")
        ],
        ignored_columns=[r.column for r in present if r.action == "ignore"],
        collected_fields=[f for f in std.field_names if f in collected],
        unmapped=unmapped,
    )
