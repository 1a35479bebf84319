"""SQL builders for derivations: dates to years, exact ages and birth dates to age bands, months to bands.

Bands come from the standard's vocabularies (min/max attributes of each code), not from code here.
Parsed values (dates, numbers, ages) are columns of `Derived` layers above `prepared()`, so each is
computed once per row however many bands and checks use it (DuckDB does not share sub-expressions
across the branches of a CASE).
"""

from __future__ import annotations

from ctdhub.sql import qi, ql, ql_list, strip
from ctdhub.standard import Standard

ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d")


TEXT_SUFFIX = " \u00b7text"
KEY_SUFFIX = " \u00b7key"


def text(col: str) -> str:
    """Trimmed text of a raw column, NULL when blank (a column of `prepared()`, computed once per row)."""
    return qi(col + TEXT_SUFFIX)


def key(col: str) -> str:
    """Case-insensitive matching key of a raw column (a column of `prepared()`)."""
    return qi(col + KEY_SUFFIX)


def prepared(source: str, columns: list[str]) -> str:
    """The source with each column's text and key computed once, for the many checks that use them.

    Every reader already delivers text trimmed with empty values as NULL (see `ctdhub.read`), so the text
    is the column itself and the key its lower case.
    """
    extra = ", ".join(
        f"{qi(c)} AS {qi(c + TEXT_SUFFIX)}, lower({qi(c)}) AS {qi(c + KEY_SUFFIX)}" for c in columns
    )
    return f"(SELECT *{', ' + extra if extra else ''} FROM {qi(source)})"


def as_date(col: str, date_format: str | None) -> str:
    """Parse a raw column into a DATE; NULL when it cannot be read.

    ISO dates are read whatever the declared format: a workbook column often mixes real dates (which the
    reader writes as ISO text) with dates typed as text in the contributor's format, e.g. dd/mm/yyyy.
    The declared format is tried first."""
    formats = list(dict.fromkeys([date_format, *ISO_FORMATS] if date_format else ISO_FORMATS))
    tries = ", ".join(f"try_strptime({text(col)}, {ql(f)})" for f in formats)
    return f"CAST(coalesce({tries}) AS DATE)"


def as_number(col: str) -> str:
    return f"TRY_CAST(replace({text(col)}, ',', '.') AS DOUBLE)"


class Derived:
    """Per-row values computed once, in two layers over the prepared source: parsed dates and numbers,
    then what is computed from them (whole numbers, ages). The methods return column references."""

    def __init__(self) -> None:
        self.layers: tuple[dict[str, str], dict[str, str]] = ({}, {})

    def _column(self, layer: int, name: str, sql: str) -> str:
        self.layers[layer].setdefault(name, sql)
        return qi(name)

    def date(self, col: str, date_format: str | None) -> str:
        """The column parsed as a DATE (NULL when it cannot be read)."""
        return self._column(0, f"{col} \u00b7date {date_format or 'iso'}", as_date(col, date_format))

    def number(self, col: str) -> str:
        """The column as a number ('3,5' read as 3.5); NULL when not a number."""
        return self._column(0, f"{col} \u00b7number", as_number(col))

    def whole_number(self, col: str) -> str:
        """An integer from text such as '2016', '2016.0' or '17'; NULL when not a whole number."""
        n = self.number(col)
        return self._column(
            1, f"{col} \u00b7whole", f"(CASE WHEN {n} = floor({n}) THEN TRY_CAST({n} AS INTEGER) END)"
        )

    def year_of(self, col: str, date_format: str | None) -> str:
        """A year from a date column, or from a bare year ('2016', '2016.0') when no date parses."""
        return f"coalesce(year({self.date(col, date_format)}), {self.whole_number(col)})"

    def age_from_birthdate(
        self, birth_col: str, ref_col: str, birth_fmt: str | None, ref_fmt: str | None
    ) -> str:
        """Exact age in whole years at the reference date."""
        b = self.date(birth_col, birth_fmt)
        r = self.date(ref_col, ref_fmt)
        # month * 100 + day orders dates within a year as their '%m%d' text does, without formatting two
        # dates as text on every row
        day_of = "(month({0}) * 100 + day({0}))"
        sql = f"(year({r}) - year({b}) - CASE WHEN {day_of.format(r)} < {day_of.format(b)} THEN 1 ELSE 0 END)"
        return self._column(1, f"{birth_col} \u00b7age at {ref_col}", sql)

    def lookup(self, col: str, target: str, pairs: list[tuple[str, str]]) -> str:
        """The code that the column's key maps to by `pairs` (key, code); NULL for any other key.

        A list lookup costs one search per row, where a CASE chain costs one comparison per entry; the
        search is skipped for an empty cell (DuckDB evaluates a CASE branch only on the rows it selects),
        which made a file of sparse flag columns map 40 % faster.
        """
        if not pairs:
            return "CAST(NULL AS VARCHAR)"
        keys = ql_list(k for k, _ in pairs)
        codes = ql_list(c for _, c in pairs)
        found = f"list_extract({codes}, list_position({keys}, {key(col)}))"
        return self._column(
            0, f"{col} \u00b7value {target}", f"CASE WHEN {qi(col)} IS NOT NULL THEN {found} END"
        )

    def tokens(self, col: str, separator: str, keys_sql: str) -> str:
        """A multi-select column's answers: its lower-cased tokens without surrounding white space, empty
        ones left out; a value that is itself one of `keys_sql` (a list literal) is one token, not split."""
        whole = f"lower(trim({qi(col)}))"
        sql = (
            f"(CASE WHEN list_contains({keys_sql}, {whole}) THEN [{whole}] ELSE "
            f"list_filter(list_transform(string_split({qi(col)}, {ql(separator)}), "
            f"lambda x: lower({strip('x')})), lambda x: x <> '') END)"
        )
        return self._column(0, f"{col} \u00b7tokens", sql)

    def any_unmapped(self, col: str, tokens: str, keys_sql: str) -> str:
        """Whether one of the column's `tokens` is not one of `keys_sql`. (`list_has_all`, not a lambda
        holding the list: DuckDB copies a constant list into a lambda once per element.)"""
        return self._column(1, f"{col} \u00b7unmapped tokens", f"(NOT list_has_all({keys_sql}, {tokens}))")

    def wrap(self, source_sql: str) -> str:
        """`source_sql` (a parenthesised SELECT) with the layers' columns added."""
        out = source_sql
        for layer in self.layers:
            if layer:
                cols = ", ".join(f"{sql} AS {qi(name)}" for name, sql in layer.items())
                out = f"(SELECT *, {cols} FROM {out})"
        return out


def band(std: Standard, field: str, value_sql: str, lo_key: str, hi_key: str) -> str:
    """CASE mapping a number to the field's band whose [lo, hi] contains it."""
    whens = []
    for code in std.field(field).values:
        lo, hi = code.extra.get(lo_key), code.extra.get(hi_key)
        cond = [f"{value_sql} >= {lo}"] if lo is not None else []
        cond += [f"{value_sql} <= {hi}"] if hi is not None else []
        whens.append(f"WHEN {' AND '.join(cond)} THEN {ql(code.code)}")
    return f"(CASE {' '.join(whens)} END)"


def age_band(std: Standard, age_sql: str) -> str:
    return band(std, "ageBroad", age_sql, "min_age", "max_age")


def majority(age_sql: str) -> str:
    return f"(CASE WHEN {age_sql} < 18 THEN 'Minor' WHEN {age_sql} >= 18 THEN 'Adult' END)"


def months_band(std: Standard, months_sql: str) -> str:
    return band(std, "traffickMonths", months_sql, "min_months", "max_months")


MAX_AGE = 110
