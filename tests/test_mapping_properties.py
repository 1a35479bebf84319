"""Properties of the mapping engine (ctdhub.mapping) on generated specs and CSV files, through `ingest_file`:
value maps send mapped values to their codes and report every other value; multi-select splits set a flag
exactly when one of its tokens is present; missing-value codes never become values; no row is lost."""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ctdhub.ingest import IngestReport, ingest_file
from ctdhub.mapping.spec import parse_spec
from ctdhub.standard import load_standard
from ctdhub.store import Hub, init_store

STD = load_standard()
EXAMPLES = settings(max_examples=30, deadline=None)

# What the readers trim from both ends of a value: ASCII whitespace and the no-break space (ctdhub.read).
TRIMMED = " \t\n\r\x0b\x0c\u00a0"
PADS = ["", " ", "  ", "\t", "\u00a0"]  # around a whole cell
INNER_PADS = ["", " ", "  ", "\u00a0"]  # around a token inside a multi-select cell
LETTERS = "abcdefghijklmnopqrstuvwxyzéñü"
CASINGS: list[Callable[[str], str]] = [str, str.upper, str.lower, str.title, str.swapcase]

word = st.text(LETTERS, min_size=1, max_size=7)
phrase = st.lists(word, min_size=1, max_size=2).map(" ".join)  # source values, inner space included


def norm(value: str) -> str:
    """How the engine compares source values: trimmed, case-insensitive."""
    return value.strip().lower()


# --- running a generated spec on a generated file ----------------------------------------------------------


@dataclass
class Workspace:
    """One hub shared by the examples of this module; every file gets a new drop column, so no two files
    have the same content (a repeated file would be refused)."""

    hub: Hub
    dir: Path
    runs: Iterator[int]


@dataclass
class Outcome:
    """What one ingest did: the report, the stored cases and quarantined rows by source row, the findings."""

    report: IngestReport
    cases: dict[int, dict[str, Any]]
    quarantined: dict[int, list[str]]
    findings: list[tuple[int, str, str | None, str, str]]  # source_row, column, value, rule, severity


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("mapping-properties")
    hub, _ = init_store(base / "hub")
    return Workspace(hub, base, itertools.count())


def ingest(
    ws: Workspace,
    columns: dict[str, Any],
    header: list[str],
    rows: list[list[str]],
    *,
    refs: list[str] | None = None,
    **spec: Any,
) -> Outcome:
    """Write `rows` under `header` (after a reference column, `refs` or one per row) and ingest them with a
    spec of `columns` and the other top-level keys in `spec`."""
    n = next(ws.runs)
    ref = f"ref{n}"
    doc = {
        "spec": "generated",
        "version": "1",
        "standard": "1.0",
        "source": {"format": "csv", "delimiter": ",", "encoding": "utf-8"},
        **spec,
        "columns": {ref: {"drop": "the contributor's row reference"}, **columns},
    }
    path = ws.dir / f"file{n}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([ref, *header])
        for i, row in enumerate(rows):
            w.writerow([refs[i] if refs is not None else f"{n}-{i}", *row])
    report = ingest_file(ws.hub, path, "prop", parse_spec(json.dumps(doc), f"generated-{n}.yaml"))
    bid = report.batch_id
    with ws.hub.connect() as con:
        rel = con.execute("SELECT * FROM cases WHERE batch_id = ?", [bid])
        names = [d[0] for d in rel.description]
        cases = {int(r[names.index("source_row")]): dict(zip(names, r, strict=True)) for r in rel.fetchall()}
        quarantined = {
            int(r): list(m)
            for r, m in con.execute(
                "SELECT source_row, reasons FROM quarantine WHERE batch_id = ?", [bid]
            ).fetchall()
        }
        findings = con.execute(
            'SELECT source_row, "column", value, rule, severity FROM findings WHERE batch_id = ?', [bid]
        ).fetchall()
    return Outcome(report, cases, quarantined, findings)


def line(i: int) -> int:
    """The source row of the i-th record of a file without line breaks in its values (header: line 1)."""
    return i + 2


# --- value maps ----------------------------------------------------------------------------------------

GENDER = STD.field("gender")
GENDER_CODES = [c.code for c in GENDER.values]
# the standard's codes and labels match by themselves (ctdhub.mapping.values.value_map)
BY_ITSELF = {norm(c.code): c.code for c in GENDER.values} | {norm(c.label): c.code for c in GENDER.values}
ANCHOR = {"ds": {"field": "Datasource"}}  # a column that always gives a field a value (no empty record)


@dataclass(frozen=True)
class Cell:
    """A generated cell: what kind of value it is, the value it stands for, and how the file writes it."""

    kind: str
    base: str
    shown: str  # the value with its casing, as a finding reports it
    written: str  # with surrounding white space, as the file holds it


@st.composite
def dressed(draw: st.DrawFn, kind: str, base: str, pads: list[str] = PADS) -> Cell:
    """`base` in some casing, with some white space around it."""
    shown = draw(st.sampled_from(CASINGS))(base)
    left, right = draw(st.sampled_from(pads)), draw(st.sampled_from(pads))
    return Cell(kind, base, shown, left + shown + right)


@EXAMPLES
@given(data=st.data())
def test_value_map_sends_mapped_values_to_codes_and_reports_the_rest(
    ws: Workspace, data: st.DataObject
) -> None:
    """Every mapped source value (any casing, white space around) becomes its code, and the standard's codes
    and labels their code; every other non-blank value is reported (`unmapped_value`: the row quarantined,
    or with `on_unmapped: warn` stored with the field unknown and a warning) and never stored as a code."""
    words = data.draw(
        st.lists(phrase.filter(lambda w: norm(w) not in BY_ITSELF), min_size=2, max_size=8, unique_by=norm),
        label="words",
    )
    k = data.draw(st.integers(1, len(words) - 1), label="mapped")
    vmap = {w: data.draw(st.sampled_from(GENDER_CODES)) for w in words[:k]}
    spec_keys = {data.draw(st.sampled_from(CASINGS))(w): code for w, code in vmap.items()}
    on_unmapped = data.draw(st.sampled_from([None, "quarantine", "warn"]), label="on_unmapped")
    cell = st.one_of(
        st.sampled_from(words[:k]).flatmap(lambda w: dressed("mapped", w)),
        st.sampled_from(words[k:]).flatmap(lambda w: dressed("unmapped", w)),
        st.sampled_from(sorted(BY_ITSELF)).flatmap(lambda w: dressed("standard", w)),
        st.sampled_from(["", " ", "\t"]).map(lambda s: Cell("blank", "", "", s)),
    )
    cells = data.draw(st.lists(cell, min_size=1, max_size=25), label="cells")
    columns = {**ANCHOR, "sex": {"field": "gender", "values": spec_keys}}
    extra = {"on_unmapped": on_unmapped} if on_unmapped else {}
    out = ingest(ws, columns, ["ds", "sex"], [["Hotline", c.written] for c in cells], **extra)

    warn = on_unmapped == "warn"
    for i, c in enumerate(cells):
        row = line(i)
        reported = (row, "sex", c.shown, "unmapped_value", "warning" if warn else "error")
        if c.kind == "unmapped":
            assert reported in out.findings, (c, out.findings)
            if warn:
                assert out.cases[row]["gender"] is None, c
            else:
                assert row not in out.cases and any(c.shown in m for m in out.quarantined[row]), c
            continue
        want = {"mapped": vmap.get(c.base), "standard": BY_ITSELF.get(c.base), "blank": None}[c.kind]
        assert out.cases[row]["gender"] == want, c
        assert not [f for f in out.findings if f[0] == row], c
    unmapped = Counter(c.shown for c in cells if c.kind == "unmapped")
    assert out.report.unmapped.get("sex", {}) == dict(unmapped)
    assert out.report.rows_quarantined == (0 if warn else sum(c.kind == "unmapped" for c in cells))


# --- multi-select splits ---------------------------------------------------------------------------------

CONTROL = list(STD.family("meansOfControl").members)[:6]


@st.composite
def split_case(draw: st.DrawFn) -> tuple[str, dict[str, list[str]], list[str]]:
    """A separator, tokens mapped to flags (some to none: known, no flag), and unmapped words."""
    sep = draw(st.sampled_from([";", "|", "/", "+", ","]), label="sep")
    words = draw(st.lists(phrase.filter(lambda w: sep not in w), min_size=2, max_size=8, unique_by=norm))
    k = draw(st.integers(1, len(words)), label="known")
    flags = {w: draw(st.lists(st.sampled_from(CONTROL), max_size=3, unique=True)) for w in words[:k]}
    assume(any(flags.values()))
    return sep, flags, words[k:]


@st.composite
def split_cell(draw: st.DrawFn, sep: str, known: list[str], unknown: list[str]) -> tuple[str, list[Cell]]:
    """A multi-select cell: known (and maybe unknown) tokens in any order, repeated or not, with empty tokens
    and white space around them; or a blank cell."""
    if draw(st.integers(0, 9), label="blank?") == 0:
        return draw(st.sampled_from(["", " "])), []
    token = st.sampled_from(known).flatmap(lambda w: dressed("known", w, INNER_PADS))
    if unknown and draw(st.integers(0, 3), label="unknown?") == 0:
        token = token | st.sampled_from(unknown).flatmap(lambda w: dressed("unknown", w, INNER_PADS))
    tokens = draw(st.lists(token, min_size=1, max_size=5), label="tokens")
    empty = Cell("empty", "", "", "")
    parts = draw(st.permutations([*tokens, *[empty] * draw(st.integers(0, 3), label="empty tokens")]))
    outer = draw(st.sampled_from(PADS)), draw(st.sampled_from(PADS))
    return outer[0] + sep.join(c.written for c in parts) + outer[1], tokens


@EXAMPLES
@given(data=st.data())
def test_split_sets_a_flag_exactly_when_one_of_its_tokens_is_present(
    ws: Workspace, data: st.DataObject
) -> None:
    """For any list of tokens (any casing, order, repeats, empty tokens, white space around them), each flag
    of the column is 1 exactly when one of its tokens is present and 0 otherwise; a blank cell leaves every
    flag unknown; an unmapped token is reported and sets no flag."""
    sep, flags, unknown = data.draw(split_case(), label="spec")
    targets = sorted({f for fs in flags.values() for f in fs})
    on_unmapped = data.draw(st.sampled_from(["quarantine", "warn"]), label="on_unmapped")
    cells = data.draw(st.lists(split_cell(sep, list(flags), unknown), min_size=1, max_size=20), label="cells")
    spec_keys = {data.draw(st.sampled_from(CASINGS))(w): fs for w, fs in flags.items()}
    columns = {**ANCHOR, "ctl": {"split": sep, "values": spec_keys}}
    out = ingest(
        ws, columns, ["ds", "ctl"], [["Hotline", text] for text, _ in cells], on_unmapped=on_unmapped
    )

    severity = "warning" if on_unmapped == "warn" else "error"
    for i, (text, tokens) in enumerate(cells):
        row = line(i)
        strays = [t for t in tokens if t.kind == "unknown"]
        for t in strays:
            assert (row, "ctl", t.shown, "unmapped_value", severity) in out.findings, (text, t)
        if strays and on_unmapped == "quarantine":
            assert row not in out.cases and row in out.quarantined, text
            continue
        case = out.cases[row]
        if not tokens:
            assert all(case[f] is None for f in targets), text
            continue
        present = {f for t in tokens if t.kind == "known" for f in flags[t.base]}
        got = {f: case[f] for f in targets}
        if strays:  # stored with a warning: the known tokens' flags set; the others unknown (the unmapped
            # token may mean any of them), never 0
            assert got == {f: 1 if f in present else None for f in targets}, (text, got)
        else:
            assert got == {f: int(f in present) for f in targets}, (text, got)
    assert out.report.unmapped.get("ctl", {}) == dict(
        Counter(t.shown for _, ts in cells for t in ts if t.kind == "unknown")
    )


# --- missing-value codes --------------------------------------------------------------------------------

# column -> (rule, the fields it writes, valid values and what each stores in those fields)
MISSING_COLUMNS: dict[str, tuple[dict[str, Any], list[str], dict[str, tuple[Any, ...]]]] = {
    "sex": (
        {"field": "gender", "values": {"F": "Female", "M": "Male"}},
        ["gender"],
        {"F": ("Female",), "m": ("Male",), "Female": ("Female",)},
    ),
    "nat": (
        {"field": "citizenship"},
        ["citizenship"],
        {"PHL": ("PHL",), "Viet Nam": ("VNM",), "France": ("FRA",)},
    ),
    "reg": (
        {"field": "yearOfRegistration", "derive": "year"},
        ["yearOfRegistration"],
        {"2019-03-04": (2019,), "2016": (2016,)},
    ),
    "age": (
        {"derive": "age"},
        ["ageBroad", "majorityStatus"],
        {"24": ("24--26", "Adult"), "16": ("9--17", "Minor"), "7": ("0--8", "Minor")},
    ),
    "months": (
        {"field": "traffickMonths", "derive": "months"},
        ["traffickMonths"],
        {"5": ("0--12 (0-1 yr)",), "30": ("25--60 (2-5 yrs)",)},
    ),
    "ctl": (
        {
            "split": ";",
            "values": {"Debt bondage": ["meansOfControlDebtBondage"], "Threats": ["meansOfControlThreats"]},
        },
        ["meansOfControlDebtBondage", "meansOfControlThreats"],
        {"Threats": (0, 1), "Debt bondage;Threats": (1, 1)},
    ),
}
# candidate missing-value codes; some are also valid values of a column (F, 2016, 7, France, NA = Namibia's
# ISO2 code, 0 months): as a code of that column they must win
CODES = ["-99", "99", "NULL", "Unknown", "unk", "N/A", "NA", "n.a.", "?", "--", "0", "none", "No sabe"]
CODES += ["not asked", "F", "2016", "7", "France"]


@st.composite
def missing_case(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Spec-level and column-level missing-value codes (each code one kind: unknown or not applicable), as
    spec keys, and for each column the codes that apply to it by normalised code -> kind."""
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=8, unique=True), label="codes")
    spec_level: dict[str, list[Any]] = {}
    column_level: dict[str, dict[str, list[Any]]] = {}
    applies: dict[str, dict[str, str]] = {c: {} for c in MISSING_COLUMNS}
    for code in codes:
        kind = draw(st.sampled_from(["unknown", "not_applicable"]), label=code)
        written: Any = (
            int(code) if code.lstrip("-").isdigit() and draw(st.booleans()) else code
        )  # YAML number
        scope = draw(st.none() | st.lists(st.sampled_from(sorted(MISSING_COLUMNS)), min_size=1, unique=True))
        if scope is None:
            spec_level.setdefault(kind, []).append(written)
        for col in scope or MISSING_COLUMNS:
            if scope is not None:
                column_level.setdefault(col, {}).setdefault(kind, []).append(written)
            applies[col][norm(code)] = kind
    spec: dict[str, Any] = {"missing_values": spec_level} if spec_level else {}
    columns = {
        c: {**rule, **({"missing": column_level[c]} if c in column_level else {})}
        for c, (rule, *_) in MISSING_COLUMNS.items()
    }
    if draw(st.booleans(), label="codes in the value map"):  # a missing code wins over a value map entry
        columns["sex"]["values"] = {**columns["sex"]["values"], **{c: "Male" for c in codes if c != "F"}}
    return {"spec": spec, "columns": columns}, applies


@EXAMPLES
@given(data=st.data())
def test_missing_codes_never_become_values(ws: Workspace, data: st.DataObject) -> None:
    """A missing-value code (spec level or column level, any casing, white space around, even one that is
    also a valid value or a value map key) leaves every field the column writes unknown; a not-applicable
    code also lists them in `na_fields`; a blank cell is unknown, not 'not applicable'. None is a finding."""
    setup, applies = data.draw(missing_case(), label="spec")

    def column_cell(col: str) -> st.SearchStrategy[Cell]:
        valid = [v for v in MISSING_COLUMNS[col][2] if norm(v) not in applies[col]]
        options = [
            st.sampled_from(valid).map(lambda v: Cell("valid", v, v, v)),
            st.sampled_from(["", " "]).map(lambda s: Cell("blank", "", "", s)),
        ]
        if applies[col]:
            options.append(st.sampled_from(sorted(applies[col])).flatmap(lambda c: dressed("code", c)))
        return st.one_of(options)

    names = sorted(MISSING_COLUMNS)
    rows = data.draw(
        st.lists(st.tuples(*[column_cell(c) for c in names]), min_size=1, max_size=15), label="rows"
    )
    out = ingest(
        ws,
        {**ANCHOR, **setup["columns"]},
        ["ds", *names],
        [["Hotline", *(c.written for c in r)] for r in rows],
        **setup["spec"],
    )
    assert out.report.rows_quarantined == 0 and not out.findings, out.findings
    for i, r in enumerate(rows):
        case = out.cases[line(i)]
        for col, c in zip(names, r, strict=True):
            targets, valid = MISSING_COLUMNS[col][1], MISSING_COLUMNS[col][2]
            got = tuple(case[t] for t in targets)
            na = [t for t in targets if t in case["na_fields"]]
            if c.kind == "valid":
                assert got == valid[c.base] and not na, (col, c)
            else:
                kind = applies[col].get(c.base) if c.kind == "code" else "unknown"
                assert got == (None,) * len(targets), (col, c, got)
                assert na == (targets if kind == "not_applicable" else []), (col, c, case["na_fields"])


# --- no row lost -----------------------------------------------------------------------------------------

LOST_COLUMNS = {
    "sex": {"field": "gender", "values": {"F": "Female", "femme": "Female", "M": "Male"}},
    "age": {"derive": "age"},
    "nat": {"field": "citizenship"},
    "reg": {"field": "yearOfRegistration", "derive": "year"},
    "ctl": {
        "split": ";",
        "values": {"Debt bondage": ["meansOfControlDebtBondage"], "Threats": ["meansOfControlThreats"]},
    },
    "notes": {"ignore": "free text"},
}
messy = st.sampled_from(
    ["", " ", "\t", "\u00a0", "\u2003", "F", "femme", "X?", "-99", "N/A", "24", "140", "abc", "3,5", "PHL",
     "Atlantis", "Côte d'Ivoire", "2019-03-04", "2099-01-01", "garbage", "Threats; Debt bondage", "Sleep",
     'say "hi"', "two\nlines", "a,b", "\n"]
)  # fmt: skip


@EXAMPLES
@given(rows=st.lists(st.tuples(*[messy] * (len(LOST_COLUMNS) + 1)), min_size=1, max_size=30))
def test_no_row_lost(ws: Workspace, rows: list[tuple[str, ...]]) -> None:
    """rows in = stored + quarantined (+ blank rows skipped): every record of the file that is not blank is
    exactly once a case or a quarantined row, under the physical line where it starts."""
    starts, at = [], 2
    for r in rows:
        starts.append(at)
        at += 1 + sum(v.count("\n") for v in r)
    blank = [all(not v.strip(TRIMMED) for v in r) for r in rows]
    out = ingest(ws, LOST_COLUMNS, list(LOST_COLUMNS), [list(r[1:]) for r in rows], refs=[r[0] for r in rows])
    rep = out.report
    assert (rep.rows_read, rep.rows_skipped) == (blank.count(False), blank.count(True))
    assert rep.rows_read == rep.rows_stored + rep.rows_quarantined
    assert (len(out.cases), len(out.quarantined)) == (rep.rows_stored, rep.rows_quarantined)
    assert not set(out.cases) & set(out.quarantined)
    assert set(out.cases) | set(out.quarantined) == {s for s, b in zip(starts, blank, strict=True) if not b}


# --- known defects ---------------------------------------------------------------------------------------

CONTROL_SPLIT = {
    **ANCHOR,
    "ctl": {
        "split": ";",
        "values": {"Debt bondage": ["meansOfControlDebtBondage"], "Threats": ["meansOfControlThreats"]},
    },
}


def test_split_tokens_are_trimmed_of_tabs_and_line_breaks(ws: Workspace) -> None:
    """A token is trimmed of the white space a whole value is trimmed of (tabs and line breaks too)."""
    cells = ["Threats;\tDebt bondage", "Threats;\nDebt bondage", "Threats\t;Debt bondage"]
    out = ingest(ws, CONTROL_SPLIT, ["ds", "ctl"], [["Hotline", c] for c in cells])
    assert out.report.rows_quarantined == 0, out.quarantined
    for i in range(len(cells)):
        case = out.cases[2 + sum(c.count("\n") for c in cells[:i]) + i]
        assert (case["meansOfControlDebtBondage"], case["meansOfControlThreats"]) == (1, 1)


def test_a_cell_of_separators_only_is_unknown(ws: Workspace) -> None:
    """Empty tokens do not matter: a cell of separators only is as blank as an empty cell."""
    cells = [";", " ; ; ", ";;"]
    out = ingest(ws, CONTROL_SPLIT, ["ds", "ctl"], [["Hotline", c] for c in cells])
    for i in range(len(cells)):
        case = out.cases[line(i)]
        assert (case["meansOfControlDebtBondage"], case["meansOfControlThreats"]) == (None, None)


def test_a_missing_code_that_looks_like_a_country_gets_no_country_warning(ws: Workspace) -> None:
    """A missing code is unknown, so "was read as KOR by a name pattern" about it was a false warning."""
    columns = {**ANCHOR, "nat": {"field": "citizenship", "missing": {"unknown": ["Korea unknown"]}}}
    out = ingest(ws, columns, ["ds", "nat"], [["Hotline", "Korea unknown"], ["Hotline", "Republic of Korea"]])
    assert out.cases[line(0)]["citizenship"] is None and out.cases[line(1)]["citizenship"] == "KOR"
    assert not [f for f in out.findings if f[0] == line(0) and f[3] == "country_pattern_match"], out.findings
