"""Linkage keys on the contributor's side: the CLK scheme (`linkage.clk`), `encode_file` and the CLI.

Every person here is invented."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import stat
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdhub.cli import cli
from ctdhub.errors import CtdhubError, UsageError
from ctdhub.linkage import keyformat
from ctdhub.linkage.clk import Encoder, Identity, load_secret, new_secret, normalise_name, soundex
from ctdhub.linkage.encode_file import FieldMap, encode_file, parse_date, parse_sex
from ctdhub.linkage.keyformat import LinkageKey

DATA = Path(__file__).resolve().parent / "data" / "linkage"
SECRET = bytes.fromhex("5f1c0a9e3b7d42c6a8e1f09b7c3d5e2a4b6c8d0e1f2a3b4c5d6e7f8091a2b3c4")
OTHER_SECRET = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
PEOPLE_FIELDS = "name=full_name,dob=date_of_birth,sex=sex"
PEOPLE_NAMES = ["Mohammed", "Rashid", "Muhammad", "Alrashid", "Maria", "Fernanda", "Lopez", "Olga", "Petrova"]
PEOPLE_NAMES += ["Grace", "Mensah", "Chen"]
PEOPLE_DATES = ["1990-05-12", "12/05/1990", "1985-11-03", "03.07.1979", "1988-01-20"]
BASE = Identity(name="Mohammed Al Rashid", dob=dt.date(1990, 5, 12), sex="m")


def dice(a: LinkageKey, b: LinkageKey) -> float:
    x, y = int.from_bytes(a.filter, "big"), int.from_bytes(b.filter, "big")
    return 2 * (x & y).bit_count() / (x.bit_count() + y.bit_count())


def key(identity: Identity, secret: bytes = SECRET) -> LinkageKey:
    k = Encoder(secret).encode(identity)
    assert k is not None
    return k


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the scheme -------------------------------------------------------------------------------------------


SOUNDEX = {"robert": "R163", "rupert": "R163", "rubin": "R150", "ashcraft": "A261", "tymczak": "T522"}
SOUNDEX |= {"pfister": "P236", "honeyman": "H555", "mohammed": "M530", "muhammad": "M530", "lee": "L000"}


@pytest.mark.parametrize(("name", "code"), SOUNDEX.items())
def test_soundex(name: str, code: str) -> None:
    assert soundex(name) == code


def test_normalise_name() -> None:
    assert normalise_name("  Zoë  O’Brien-Núñez ") == "zoe o brien nunez"
    assert normalise_name("STRASSE") == normalise_name("Straße")
    assert normalise_name("12 345 !") == ""


def test_deterministic_and_valid() -> None:
    a, b = key(BASE), Encoder(SECRET).encode(BASE)
    assert a == b
    assert keyformat.is_valid(a.text()) and keyformat.parse(a.text()) == a
    assert a.fields == "nds" and a.check == Encoder(SECRET).check and len(a.check) == 8
    assert list(a.blocks) == sorted(set(a.blocks)) and a.blocks


def test_fields_letters_and_nothing_to_encode() -> None:
    enc = Encoder(SECRET)
    assert enc.encode(Identity(sex="f")) is None
    assert enc.encode(Identity(name="  -- 42 ")) is None
    year_only = enc.encode(Identity(name="Olga Petrova", birth_year=1979))
    assert year_only is not None and year_only.fields == "ny"
    dob_only = enc.encode(Identity(dob=dt.date(1979, 7, 3), birth_year=1950))
    assert dob_only is not None and dob_only.fields == "d"
    given_family = enc.encode(Identity(given="Mohammed", family="Al-Rashid", dob=BASE.dob, sex="m"))
    assert given_family == enc.encode(BASE)


def test_variations_of_one_person_are_closer_than_two_people() -> None:
    base = key(BASE)
    same = [
        Identity(name="Muhammad Al Rashid", dob=dt.date(1990, 5, 12), sex="m"),
        Identity(name="Mohammed Al Rashid", dob=dt.date(1990, 12, 5), sex="m"),  # day and month swapped
        Identity(name="Mohamed Al Rashd", dob=dt.date(1990, 5, 12), sex="m"),  # typos
        Identity(name="Mohammed Al Rashid", sex="m"),  # no date of birth
    ]
    others = [
        Identity(name="Olga Petrova", dob=dt.date(1979, 7, 3), sex="f"),
        Identity(name="Maria Lopez", dob=dt.date(1990, 11, 3), sex="m"),
        Identity(name="Olga Petrova", dob=dt.date(1990, 5, 12), sex="f"),  # the same date of birth
    ]
    worst_same = min(dice(base, key(i)) for i in same)
    best_other = max(dice(base, key(i)) for i in others)
    assert worst_same >= 0.7
    assert best_other <= 0.6
    assert worst_same - best_other >= 0.2
    for variant in same:  # a variant shares at least one blocking signature, so the hub compares them
        assert set(base.blocks) & set(key(variant).blocks)
    assert not set(base.blocks) & set(key(others[0]).blocks)


def test_one_name_part_without_date_still_has_a_block() -> None:
    a = key(Identity(name="Mohammed"))
    b = key(Identity(name="Muhammad", sex="m"))
    assert a.blocks and set(a.blocks) == set(b.blocks)


def test_different_secrets_differ() -> None:
    a, b = key(BASE), key(BASE, OTHER_SECRET)
    assert a.check != b.check
    assert a.filter != b.filter
    assert dice(a, b) < 0.5
    assert set(a.blocks) != set(b.blocks)


def test_secret_length_and_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Encoder(b"short")
    text = new_secret()
    assert len(text) == 64 and int(text, 16) >= 0 and new_secret() != text
    good = tmp_path / "good.key"
    good.write_text(f"  {text[:32]}\n{text[32:]}\n")
    assert load_secret(good) == bytes.fromhex(text)
    for name, content in [("short.key", "abcd" * 7), ("nothex.key", "z" * 64), ("odd.key", "a" * 33)]:
        (tmp_path / name).write_text(content)
        with pytest.raises(ValueError, match=re.escape(name)):
            load_secret(tmp_path / name)
    with pytest.raises(ValueError, match=r"missing\.key"):
        load_secret(tmp_path / "missing.key")


@settings(max_examples=200, deadline=None)
@given(
    name=st.none() | st.text(max_size=60),
    given_name=st.none() | st.text(max_size=30),
    family=st.none() | st.text(max_size=30),
    dob=st.none() | st.dates(),
    year=st.none() | st.integers(min_value=1, max_value=9999),
    sex=st.none() | st.sampled_from(["f", "m", "x"]) | st.text(max_size=5),
)
def test_encode_never_raises(
    name: str | None,
    given_name: str | None,
    family: str | None,
    dob: dt.date | None,
    year: int | None,
    sex: str | None,
) -> None:
    identity = Identity(name=name, given=given_name, family=family, dob=dob, birth_year=year, sex=sex)
    k = Encoder(SECRET).encode(identity)
    if k is None:
        assert dob is None and year is None
    else:
        assert keyformat.is_valid(k.text())
        assert keyformat.parse(k.text()) == k


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1990-05-12", dt.date(1990, 5, 12)),
        ("1990-05-12T00:00:00", dt.date(1990, 5, 12)),
        ("1990-05-12 10:30:00", dt.date(1990, 5, 12)),
        ("12/05/1990", dt.date(1990, 5, 12)),
        ("2.5.1990", dt.date(1990, 5, 2)),
        ("12-05-1990", dt.date(1990, 5, 12)),
        ("1990", 1990),
        ("31/02/1990", None),
        ("next year", None),
        ("12/05/90", None),
    ],
)
def test_parse_date(text: str, value: dt.date | int | None) -> None:
    assert parse_date(text) == value


def test_parse_sex() -> None:
    for text in ("F", "female", "Woman", "girl", "Femme", "mujer", "Femenino"):
        assert parse_sex(text) == "f"
    for text in ("m", "MALE", "man", "boy", "Homme", "hombre", "masculino"):
        assert parse_sex(text) == "m"
    assert parse_sex("non-binary") == "x"
    for text in ("?", "-", "unknown", "N/A"):
        assert parse_sex(text) is None
    with pytest.raises(ValueError):
        parse_sex("2")


# --- field maps -------------------------------------------------------------------------------------------


def test_field_map_parse() -> None:
    fm = FieldMap.parse(" name = full_name , dob=date_of_birth,sex=sex ")
    assert fm == FieldMap(name="full_name", dob="date_of_birth", sex="sex")
    assert FieldMap.parse("NAME=full_name,Sex=sex") == FieldMap(name="full_name", sex="sex")
    with pytest.raises(ValueError, match="'surname'"):
        FieldMap.parse("surname=x")
    with pytest.raises(ValueError, match="either name or given/family"):
        FieldMap.parse("name=a,given=b")
    with pytest.raises(ValueError, match="date of birth"):
        FieldMap.parse("sex=s")
    with pytest.raises(ValueError, match="ROLE=COLUMN"):
        FieldMap.parse("name")
    with pytest.raises(ValueError, match="two roles"):
        FieldMap.parse("name=a,dob=A")
    with pytest.raises(ValueError, match="'nom'"):
        FieldMap.parse("name=nom,dob=dob", ["case_id", "Name", "DOB"])
    assert FieldMap.parse("name=name,dob=dob", ["case_id", "Name", "DOB"]) == FieldMap(name="Name", dob="DOB")


# --- encode_file ------------------------------------------------------------------------------------------


def assert_no_identifiers(path: Path, names: list[str], dates: list[str]) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace").casefold()
    for part in names:
        assert part.casefold() not in text, "a name is left in the output"
    for date in dates:
        assert date not in text, "a date of birth is left in the output"


def test_encode_csv(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    ticks: list[tuple[int, int]] = []
    report = encode_file(
        DATA / "people.csv",
        out,
        SECRET,
        FieldMap.parse(PEOPLE_FIELDS),
        on_progress=lambda d, t: ticks.append((d, t)),
    )
    assert (report.rows, report.encoded, report.empty, report.problems) == (6, 6, 0, [])
    assert report.check == Encoder(SECRET).check and report.out == out
    assert ticks[-1] == (6, 6)
    rows = rows_of(out)
    assert list(rows[0]) == ["case_id", "sex", "country", "exploitation", "linkage_key"]
    assert [r["case_id"] for r in rows] == ["C001", "C002", "C003", "C004", "C005", "C006"]
    keys = [keyformat.parse(r["linkage_key"]) for r in rows]
    assert keys[0] == key(Identity(name="Mohammed Al-Rashid", dob=dt.date(1990, 5, 12), sex="m"))
    assert keys[4].fields == "nys" and keys[5].fields == "nd"
    assert dice(keys[0], keys[1]) > 0.8 > max(dice(keys[0], k) for k in keys[2:])
    assert_no_identifiers(out, PEOPLE_NAMES, PEOPLE_DATES)


def test_encode_keep_identifiers(tmp_path: Path) -> None:
    out = tmp_path / "kept.csv"
    encode_file(DATA / "people.csv", out, SECRET, FieldMap.parse(PEOPLE_FIELDS), keep=True)
    assert list(rows_of(out)[0]) == [
        "case_id",
        "full_name",
        "date_of_birth",
        "sex",
        "country",
        "exploitation",
        "linkage_key",
    ]


def test_encode_latin1_semicolon_to_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    fields = FieldMap.parse("given=given_name,family=family_name,dob=born,sex=sexe")
    report = encode_file(DATA / "people-latin1-semicolon.csv", out, SECRET, fields)
    assert (report.rows, report.encoded, report.problems) == (3, 3, [])
    sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["case_id", "sexe", "pays", "linkage_key"]
    assert [r[0] for r in rows[1:]] == ["L01", "L02", "L03"]
    first = keyformat.parse(str(rows[1][3]))
    assert first == key(Identity(given="José", family="Núñez", dob=dt.date(1992, 2, 14), sex="m"))
    assert first == key(Identity(name="Jose Nunez", dob=dt.date(1992, 2, 14), sex="m"))
    assert keyformat.parse(str(rows[3][3])).fields == "ns"


def test_encode_xlsx_with_date_cells(tmp_path: Path) -> None:
    source = tmp_path / "people.xlsx"
    wb = xlsxwriter.Workbook(str(source))
    ws = wb.add_worksheet("cases")
    date_format = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_row(0, 0, ["case_id", "Name", "Born", "Gender", "Site"])
    people = [
        ("X1", "Amina Diallo", dt.date(1993, 6, 15), "F", "Kayes"),
        ("X2", "Peter Kowalski", None, "M", "Lodz"),
    ]
    for i, (case, name, born, sex, site) in enumerate(people, start=1):
        ws.write_row(i, 0, [case, name])
        if born:
            ws.write_datetime(i, 2, dt.datetime.combine(born, dt.time()), date_format)
        ws.write_row(i, 3, [sex, site])
    ws.write(3, 0, "X3")
    ws.write(3, 2, 1975)  # a year alone, as a number
    wb.close()
    out = tmp_path / "out.csv"
    report = encode_file(source, out, SECRET, FieldMap.parse("name=name,dob=born,sex=gender"), sheet="cases")
    assert (report.rows, report.encoded, report.problems) == (3, 3, [])
    rows = rows_of(out)
    assert list(rows[0]) == ["case_id", "Gender", "Site", "linkage_key"]
    keys = [keyformat.parse(r["linkage_key"]) for r in rows]
    assert keys[0] == key(Identity(name="Amina Diallo", dob=dt.date(1993, 6, 15), sex="f"))
    assert keys[1].fields == "ns" and keys[2].fields == "y"
    assert_no_identifiers(out, ["Amina", "Diallo", "Peter", "Kowalski"], ["1993", "1975"])


def test_bad_values_are_problems_without_values(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    report = encode_file(
        DATA / "people-bad-dates.csv", out, SECRET, FieldMap.parse("name=name,dob=dob,sex=sex")
    )
    assert (report.rows, report.encoded, report.empty) == (6, 5, 1)
    found = [(p.row, p.column, p.rule) for p in report.problems]
    assert found == [
        (2, "dob", "dob_not_a_date"),
        (3, "dob", "dob_not_a_date"),
        (4, "dob", "dob_out_of_range"),
        (5, None, "nothing_to_encode"),
        (6, "sex", "sex_not_readable"),
    ]
    for p in report.problems:
        assert p.message.startswith(f"people-bad-dates.csv, row {p.row}") and p.rule in p.message
        assert p.column is None or repr(p.column) in p.message
        for value in ("31/02/1990", "next year", "2999", "Amina", "Ivan", "Rosa", "Yusuf", "'1'"):
            assert value not in p.message
    assert "nothing to encode" in report.problems[3].message
    rows = rows_of(out)
    assert [r["linkage_key"] != "" for r in rows] == [True, True, True, False, True, True]
    assert keyformat.parse(rows[0]["linkage_key"]).fields == "ns"  # encoded without the date
    assert keyformat.parse(rows[4]["linkage_key"]).fields == "nd"  # and without the sex
    assert keyformat.parse(rows[5]["linkage_key"]).fields == "nd"  # '?' is a blank, not a problem


def test_file_errors(tmp_path: Path) -> None:
    fields = FieldMap.parse("name=name,dob=dob")
    with pytest.raises(CtdhubError, match="linkage_key"):
        encode_file(DATA / "people-with-linkage-key.csv", tmp_path / "o.csv", SECRET, fields)
    with pytest.raises(UsageError, match=r"\.csv or \.xlsx"):
        encode_file(DATA / "people-bad-dates.csv", tmp_path / "o.txt", SECRET, fields)
    with pytest.raises(UsageError, match="'nom'"):
        encode_file(DATA / "people-bad-dates.csv", tmp_path / "o.csv", SECRET, FieldMap(name="nom"))
    with pytest.raises(CtdhubError, match="no such file"):
        encode_file(tmp_path / "missing.csv", tmp_path / "o.csv", SECRET, fields)
    assert not list(tmp_path.iterdir())


# --- the command line -------------------------------------------------------------------------------------


def run(*args: object) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, [str(a) for a in args], prog_name="ctdhub")
    assert "Traceback" not in r.output + r.stderr
    return r.exit_code, r.stdout, r.stderr


def test_cli_secret(tmp_path: Path) -> None:
    path = tmp_path / "shared.key"
    code, out, _ = run("linkage", "secret", "--out", path)
    assert code == 0 and str(path) in out and "never send it to the hub" in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text()
    assert len(secret.strip()) == 64 and secret.strip() not in out
    assert load_secret(path) == bytes.fromhex(secret.strip())
    code, out, err = run("linkage", "secret", "--out", path)
    assert code == 1 and "exists" in err and path.read_text() == secret
    code, out, _ = run("linkage", "secret", "--out", tmp_path / "other.key", "--json")
    assert code == 0 and json.loads(out) == {"ok": True, "secret_file": str(tmp_path / "other.key")}


def test_cli_encode(tmp_path: Path) -> None:
    secret = tmp_path / "shared.key"
    secret.write_text(SECRET.hex())
    out = tmp_path / "out.csv"
    code, text, _ = run(
        "linkage",
        "encode",
        DATA / "people-bad-dates.csv",
        "-k",
        secret,
        "-f",
        "name=name,dob=dob,sex=sex",
        "-o",
        out,
    )
    assert code == 0
    assert "6 rows, 5 encoded, 1 with an empty key" in text and Encoder(SECRET).check in text
    assert "row 2, column 'dob': dob_not_a_date" in text and "row 5: nothing_to_encode" in text
    assert "the sex column is kept" in text
    for value in ("31/02/1990", "next year", "Amina", "Diallo"):
        assert value not in text
    code, text, _ = run(
        "linkage", "encode", DATA / "people.csv", "-k", secret, "-f", PEOPLE_FIELDS, "-o", out, "--json"
    )
    data = json.loads(text)
    assert code == 0 and data["ok"] and (data["rows"], data["encoded"], data["problems"]) == (6, 6, [])
    assert data["removed"] == ["full_name", "date_of_birth"] and data["out"] == str(out)
    assert_no_identifiers(out, PEOPLE_NAMES, PEOPLE_DATES)


def test_cli_lists_twenty_problems(tmp_path: Path) -> None:
    source = tmp_path / "many.csv"
    source.write_text("name,dob\n" + "".join(f"Person Number,{i}/13/1990\n" for i in range(1, 26)))
    secret = tmp_path / "shared.key"
    secret.write_text(SECRET.hex())
    code, text, _ = run(
        "linkage", "encode", source, "-k", secret, "-f", "name=name,dob=dob", "-o", tmp_path / "o.csv"
    )
    assert code == 0 and "25 problem(s)" in text
    assert text.count(": dob_not_a_date") == 20 and "and 5 more" in text


def test_cli_errors(tmp_path: Path) -> None:
    secret = tmp_path / "shared.key"
    secret.write_text(SECRET.hex())
    source = DATA / "people.csv"
    cases = [
        (["-k", tmp_path / "none.key", "-f", PEOPLE_FIELDS], 1, "none.key"),
        (["-k", secret, "-f", "surname=full_name"], 2, "unknown role 'surname'"),
        (["-k", secret, "-f", "name=nom,dob=date_of_birth"], 2, "'nom'"),
    ]
    for args, expected, words in cases:
        code, out, err = run("linkage", "encode", source, *args, "-o", tmp_path / "o.csv")
        assert code == expected and words in err
        assert err.startswith("ctdhub: error:") and len(err.strip().splitlines()) == 1 and out == ""
    short = tmp_path / "short.key"
    short.write_text("abcd")
    code, out, err = run(
        "linkage", "encode", source, "-k", short, "-f", PEOPLE_FIELDS, "-o", tmp_path / "o.csv", "--json"
    )
    assert code == 1 and json.loads(out)["ok"] is False and "short.key" in err
    code, _, err = run(
        "linkage",
        "encode",
        tmp_path / "gone.csv",
        "-k",
        secret,
        "-f",
        PEOPLE_FIELDS,
        "-o",
        tmp_path / "o.csv",
    )
    assert code == 1 and "gone.csv" in err
    code, _, err = run("linkage", "encode", source, "-k", secret, "-o", tmp_path / "o.csv")
    assert code == 2 and "--fields" in err
    assert not (tmp_path / "o.csv").exists()
