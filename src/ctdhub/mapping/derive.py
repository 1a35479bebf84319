"""SQL builders for derivations: dates to years, exact ages and birth dates to age bands, months to bands.

Bands come from the standard's vocabularies (min/max attributes of each code), not from code here.
"""

from __future__ import annotations

from ctdhub.sql import qi, ql
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
    """Parse a raw column into a DATE; NULL when it cannot be read."""
    formats = [date_format] if date_format else list(ISO_FORMATS)
    tries = ", ".join(f"try_strptime({text(col)}, {ql(f)})" for f in formats)
    return f"CAST(coalesce({tries}) AS DATE)"


def as_number(col: str) -> str:
    return f"TRY_CAST(replace({text(col)}, ',', '.') AS DOUBLE)"


def as_whole_number(col: str) -> str:
    """An integer from text such as '2016', '2016.0' or '17'; NULL when not a whole number."""
    n = as_number(col)
    return f"(CASE WHEN {n} = floor({n}) THEN CAST({n} AS INTEGER) END)"


def year_of(col: str, date_format: str | None) -> str:
    """A year from a date column, or from a bare year ('2016', '2016.0') when no date parses."""
    return f"coalesce(year({as_date(col, date_format)}), {as_whole_number(col)})"


def age_from_birthdate(birth_col: str, ref_col: str, birth_fmt: str | None, ref_fmt: str | None) -> str:
    """Exact age in whole years at the reference date."""
    b = as_date(birth_col, birth_fmt)
    r = as_date(ref_col, ref_fmt)
    return (
        f"(year({r}) - year({b}) - CASE WHEN strftime({r}, '%m%d') < strftime({b}, '%m%d') THEN 1 ELSE 0 END)"
    )


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
