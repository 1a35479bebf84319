"""`ctdhub linkage encode` as a library function: replace a file's identifier columns by one linkage key.

The contributor's file is read by `ctdhub.read.read_source`; the identifier columns are fetched in chunks,
encoded row by row (`clk.Encoder`), the keys stored back in DuckDB and joined to the other columns by row
number, and the result is written as CSV (DuckDB COPY) or Excel. No value of an identifier column is ever
put in a message: problems name the row, the column and the rule only.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ctdhub.errors import CtdhubError, UsageError
from ctdhub.linkage.clk import Encoder, Identity, normalise_name
from ctdhub.read import read_source
from ctdhub.release.files import XLSX_MAX_ROWS, write_xlsx
from ctdhub.sql import qi, ql

KEY_COLUMN = "linkage_key"
CHUNK_ROWS = 5_000
MIN_YEAR = 1900
ROLES = ("name", "given", "family", "dob", "birth_year", "sex")
FORMATS = "YYYY-MM-DD, DD/MM/YYYY, DD.MM.YYYY, DD-MM-YYYY or a year YYYY"

_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DMY = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
_YEAR = re.compile(r"\d{4}")


def _words(text: str, sep: str = " ") -> frozenset[str]:
    return frozenset(w.strip() for w in text.split(sep))


_FEMALE = _words(
    "f female fem woman women girl femme fille feminin feminine mujer nina femenino femenina mulher "
    "feminino donna femmina w weiblich frau kadin"
)
_MALE = _words(
    "m male man men boy homme garcon masculin h hombre nino masculino varon homem uomo maschio mannlich "
    "mann erkek"
)
_MISSING = _words(
    "unknown, unk, u, n a, na, nk, not known, not stated, not recorded, none, null, missing, inconnu, "
    "desconocido, sin dato, prefer not to say",
    ",",
)


@dataclass(frozen=True)
class Problem:
    """An unusable identifier value (never shown): where it is and the rule it breaks."""

    row: int
    column: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class EncodeReport:
    """What `encode_file` did."""

    rows: int
    encoded: int
    empty: int
    problems: list[Problem]
    check: str
    out: Path
    removed: list[str] = field(default_factory=list)  # the identifier columns left out of `out`

    def to_dict(self, problems: int | None = None) -> dict[str, object]:
        """A JSON-ready summary with the first `problems` problems (all by default)."""
        return {
            "rows": self.rows,
            "encoded": self.encoded,
            "empty": self.empty,
            "check": self.check,
            "out": str(self.out),
            "removed": self.removed,
            "problems_total": len(self.problems),
            "problems": [asdict(p) for p in self.problems[:problems]],
        }


@dataclass(frozen=True)
class FieldMap:
    """Which source column holds which identifier (None when the file has none)."""

    name: str | None = None
    given: str | None = None
    family: str | None = None
    dob: str | None = None
    birth_year: str | None = None
    sex: str | None = None

    def __post_init__(self) -> None:
        if self.name and (self.given or self.family):
            raise ValueError("--fields: give either name or given/family, not both")
        if not (self.name or self.given or self.family or self.dob or self.birth_year):
            raise ValueError(
                "--fields: name a column for the name (name or given/family) or the date of birth"
            )
        used = [c for c in self.columns().values()]
        if len({c.lower() for c in used}) < len(used):
            raise ValueError("--fields: one column is given for two roles")

    @classmethod
    def parse(cls, text: str, columns: Sequence[str] | None = None) -> FieldMap:
        """`name=COL,dob=COL,sex=COL` → FieldMap; with `columns` (the file's), also check they exist."""
        found: dict[str, str] = {}
        for item in (i.strip() for i in text.split(",")):
            if not item:
                continue
            role, sep, column = (s.strip() for s in item.partition("="))
            role = role.lower()
            if not sep or not column:
                raise ValueError(f"--fields: {item!r} is not ROLE=COLUMN")
            if role not in ROLES:
                raise ValueError(f"--fields: unknown role {role!r} (roles: {', '.join(ROLES)})")
            if role in found:
                raise ValueError(f"--fields: role {role!r} is given twice")
            found[role] = column
        fmap = cls(**found)
        return fmap if columns is None else fmap.resolve(columns)

    def columns(self) -> dict[str, str]:
        """Role → column, for the roles given."""
        return {f.name: v for f in dataclasses.fields(self) if (v := getattr(self, f.name))}

    def resolve(self, columns: Sequence[str]) -> FieldMap:
        """The same map with each column spelt as in the file (matched case-insensitively when not exact);
        ValueError naming a column that is not there."""
        by_lower = {c.lower(): c for c in columns}
        resolved: dict[str, str] = {}
        for role, column in self.columns().items():
            match = column if column in columns else by_lower.get(column.lower())
            if match is None:
                raise ValueError(
                    f"--fields: column {column!r} (for {role}) is not in the file; its columns are "
                    + ", ".join(repr(c) for c in columns)
                )
            resolved[role] = match
        return FieldMap(**resolved)


@dataclass
class _Row:
    """Problems found while reading one row's identifiers."""

    file: str
    row: int
    problems: list[Problem] = field(default_factory=list)

    def add(self, column: str | None, rule: str, what: str) -> None:
        where = f"{self.file}, row {self.row}" + (f", column {column!r}" if column else "")
        self.problems.append(Problem(self.row, column, rule, f"{where}: {what} (rule {rule})."))


def parse_date(text: str) -> datetime.date | int | None:
    """A full date, a year alone (int) or None when the text is neither (an impossible date included)."""
    text = text.strip()
    try:
        if m := _ISO.fullmatch(text):
            return datetime.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.fullmatch(text):
            return datetime.date(int(m[4]), int(m[3]), int(m[1]))
    except ValueError:
        return None
    return int(text) if _YEAR.fullmatch(text) else None


def parse_sex(text: str) -> str | None:
    """'f', 'm', 'x', or None for a missing-value marker; ValueError when it holds no letter at all."""
    words = normalise_name(text)
    if not words:
        if any(ch.isdigit() for ch in text):
            raise ValueError("a sex code without letters")
        return None  # '?', '-', '.'
    if words in _MISSING:
        return None
    if words in _FEMALE:
        return "f"
    return "m" if words in _MALE else "x"


def _date(
    row: _Row, column: str, text: str | None, today: datetime.date, *, year_only: bool
) -> datetime.date | int | None:
    if text is None:
        return None
    value = parse_date(text)
    if value is None:
        row.add(column, "dob_not_a_date", f"not a date or year of birth; write {FORMATS}; encoded without it")
        return None
    year = value if isinstance(value, int) else value.year
    if year < MIN_YEAR or year > today.year or (isinstance(value, datetime.date) and value > today):
        row.add(
            column,
            "dob_out_of_range",
            f"date of birth before {MIN_YEAR} or in the future; encoded without it",
        )
        return None
    return year if year_only else value


def _sex(row: _Row, column: str, text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return parse_sex(text)
    except ValueError:
        row.add(
            column, "sex_not_readable", "sex not readable (write f, m or another word); encoded without it"
        )
        return None


def _identity(fmap: FieldMap, row: _Row, values: dict[str, str | None], today: datetime.date) -> Identity:
    """The Identity of one row (`values` role → text), noting unusable values in `row`."""
    dob = _date(row, fmap.dob, values.get("dob"), today, year_only=False) if fmap.dob else None
    year = (
        _date(row, fmap.birth_year, values.get("birth_year"), today, year_only=True)
        if fmap.birth_year
        else None
    )
    full = dob if isinstance(dob, datetime.date) else None
    birth_year = dob if isinstance(dob, int) else year if isinstance(year, int) else None
    return Identity(
        name=values.get("name"),
        given=values.get("given"),
        family=values.get("family"),
        dob=full,
        birth_year=birth_year,
        sex=_sex(row, fmap.sex, values.get("sex")) if fmap.sex else None,
    )


def _out_format(source: Path, out: Path) -> str:
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise UsageError(f"{out}: the output must end with .csv or .xlsx.")
    if out.exists() and source.exists() and out.resolve() == source.resolve():
        raise UsageError(f"{out}: the output would overwrite the file being encoded; choose another name.")
    return fmt


def _open(
    con: duckdb.DuckDBPyConnection, source: Path, fmap: FieldMap, sheet: str | None, fmt: str
) -> tuple[FieldMap, list[str], int]:
    """Read the source into `src`; (field map with the file's spelling, columns, rows)."""
    info = read_source(con, source, table="src", sheet=sheet)
    if any(c.lower() == KEY_COLUMN for c in info.columns):
        raise CtdhubError(
            f"{source.name}: the file already has a column {KEY_COLUMN!r}, which the output adds.",
            hint="Rename or remove that column first.",
        )
    try:
        resolved = fmap.resolve(info.columns)
    except ValueError as err:
        raise UsageError(f"{source.name}: {err}.") from None
    if fmt == "xlsx" and info.rows > XLSX_MAX_ROWS:
        raise UsageError(
            f"{source.name}: {info.rows} rows are too many for a spreadsheet (at most {XLSX_MAX_ROWS}).",
            hint="Write a .csv file instead.",
        )
    return resolved, info.columns, info.rows


def _encode_chunk(
    encoder: Encoder,
    fmap: FieldMap,
    label: str,
    names: list[str],
    records: list[tuple[object, ...]],
    problems: list[Problem],
) -> pa.Table:
    """The keys (_row, linkage_key) of `records` (_row, then the values of roles `names`); problems added."""
    today = datetime.date.today()
    rows: list[int] = []
    keys: list[str | None] = []
    for record in records:
        row = _Row(label, int(str(record[0])))
        values = {n: (None if v is None else str(v)) for n, v in zip(names, record[1:], strict=True)}
        key = encoder.encode(_identity(fmap, row, values, today))
        if key is None:
            row.add(
                None,
                "nothing_to_encode",
                "nothing to encode: no usable name nor date of birth; key left empty",
            )
        problems += row.problems
        rows.append(row.row)
        keys.append(key.text() if key else None)
    return pa.table({"_row": pa.array(rows, pa.int64()), KEY_COLUMN: pa.array(keys, pa.string())})


def _encode_rows(
    con: duckdb.DuckDBPyConnection,
    encoder: Encoder,
    fmap: FieldMap,
    label: str,
    total: int,
    on_progress: Callable[[int, int], None] | None,
) -> list[Problem]:
    """Encode every row of `src` into table `_keys` (_row, linkage_key), CHUNK_ROWS rows at a time."""
    roles = fmap.columns()
    names = list(roles)
    select = ", ".join(f"{qi(c)} AS {qi(r)}" for r, c in roles.items())
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ids AS "
        f"SELECT row_number() OVER (ORDER BY _row) AS _i, _row, {select} FROM src ORDER BY _row"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _keys (_row BIGINT, {qi(KEY_COLUMN)} VARCHAR)")
    fetch = f"SELECT _row, {', '.join(qi(r) for r in names)} FROM _ids WHERE _i > ? AND _i <= ? ORDER BY _i"
    problems: list[Problem] = []
    if on_progress:
        on_progress(0, total)
    for start in range(0, total, CHUNK_ROWS):
        records = con.execute(fetch, [start, start + CHUNK_ROWS]).fetchall()
        con.register("_key_batch", _encode_chunk(encoder, fmap, label, names, records, problems))
        con.execute("INSERT INTO _keys SELECT * FROM _key_batch")
        con.unregister("_key_batch")
        if on_progress:
            on_progress(min(start + CHUNK_ROWS, total), total)
    return problems


def _write(con: duckdb.DuckDBPyConnection, columns: list[str], out: Path, fmt: str) -> None:
    """Write the kept `columns` of `src` and the keys, in row order, to `out` (through a temporary file)."""
    cols = ", ".join([f"s.{qi(c)}" for c in columns] + [f"k.{qi(KEY_COLUMN)}"])
    query = f"SELECT {cols} FROM src s LEFT JOIN _keys k ON s._row = k._row ORDER BY s._row"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.part{out.suffix}")
    try:
        if fmt == "csv":
            con.execute(f"COPY ({query}) TO {ql(str(tmp))} (FORMAT csv, HEADER, DELIMITER ',')")
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _out AS {query}")
            if write_xlsx(con, {"linkage": "_out"}, tmp) is None:
                raise UsageError(
                    f"{out}: too many rows for a spreadsheet.", hint="Write a .csv file instead."
                )
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    found = con.execute(sql).fetchone()
    return int(found[0]) if found else 0


def encode_file(
    source: Path,
    out: Path,
    secret: bytes,
    fields: FieldMap,
    *,
    keep: bool | Collection[str] = False,
    on_progress: Callable[[int, int], None] | None = None,
    sheet: str | None = None,
) -> EncodeReport:
    """Write `out`: `source` without its identifier columns and with a `linkage_key` column. `keep` names
    identifier columns to keep all the same (say, a date of birth the hub's mapping turns into an age band
    and drops); True keeps them all (for tests). Unusable values are reported as problems, and the row encoded without them."""
    source, out = Path(source), Path(out)
    encoder = Encoder(secret)
    fmt = _out_format(source, out)
    con = duckdb.connect()
    try:
        fmap, columns, total = _open(con, source, fields, sheet, fmt)
        problems = _encode_rows(con, encoder, fmap, source.name, total, on_progress)
        empty = _count(con, f"SELECT count(*) FROM _keys WHERE {qi(KEY_COLUMN)} IS NULL")
        keeping = set(columns) if keep is True else set() if keep is False else set(keep)
        unknown = sorted(keeping - set(columns))
        if unknown:
            raise UsageError(f"{source.name}: --keep: column {unknown[0]!r} is not in the file.")
        dropped = [c for r, c in fmap.columns().items() if r != "sex" and c not in keeping]
        kept = [c for c in columns if c not in dropped]
        _write(con, kept, out, fmt)
    finally:
        con.close()
    removed = dropped
    return EncodeReport(total, total - empty, empty, problems, encoder.check, out, removed)
