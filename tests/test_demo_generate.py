"""The invented demo contributors: deterministic files, their shapes, their specs, their ingest, and the
answer key of who is who (truth/truth-persons.csv)."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from ctdhub.demo.generate import (
    CONTRIBUTORS,
    DemoFile,
    demo_spec_path,
    generate,
    split_rows,
    truth_path,
    write_casework_csv,
)
from ctdhub.geo.countries import resolver
from ctdhub.mapping import load_spec

ROWS = 2_000
PII = {
    "Case Number",
    "Given name",
    "Family name",
    "Phone",
    "Date of birth",
    "CALLER_PHONE",
    "CALL_ID",
    "Nombre",
    "Apellidos",
    "Fecha de nacimiento",
    "Nº de caso",
}
PII_LOWER = {p.lower() for p in PII} | {"name", "phone", "date_of_birth", "case_number"}
HARBOUR_IDENTITY = ("Given name", "Family name", "Date of birth")
REFUGIO_IDENTITY = ("Nombre", "Apellidos", "Fecha de nacimiento")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _harbour_rows(f: DemoFile) -> dict[int, dict[str, str]]:
    """Harbour's data rows by CSV line (the header is line 1)."""
    with f.path.open(encoding="utf-8", newline="") as fh:
        return {i + 2: row for i, row in enumerate(csv.DictReader(fh))}


def _refugio_rows(f: DemoFile) -> dict[int, dict[str, Any]]:
    """Refugio's data rows by sheet row (the header is row 3), blank rows left out."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(f.path)).get_sheet_by_name("Registro").to_python()
    header = sheet[2]
    return {r + 1: dict(zip(header, row, strict=False)) for r, row in enumerate(sheet) if r > 2 and any(row)}


def _truth(out_dir: Path) -> dict[str, dict[int, str]]:
    """contributor -> source row -> person id, from the answer key."""
    out: dict[str, dict[int, str]] = {}
    with truth_path(out_dir).open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["contributor"], {})[int(r["source_row"])] = r["person_id"]
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DemoFile]:
    out = tmp_path_factory.mktemp("demo")
    return {f.contributor: f for f in generate(out, ROWS, seed=11)}


def test_split_rows_totals_and_caps_xlsx():
    assert sum(split_rows(ROWS).values()) == ROWS
    big = split_rows(2_000_000)
    assert big["refugio-ngo"] == 200_000
    assert sum(big.values()) == 2_000_000
    assert big["harbour-casework"] > big["lighthouse-hotline"] > 0


def test_same_seed_same_bytes(demo, tmp_path):
    again = {f.contributor: f for f in generate(tmp_path, ROWS, seed=11)}
    for name, f in demo.items():
        assert _sha(f.path) == _sha(again[name].path), name
    assert _sha(truth_path(f.path.parent)) == _sha(truth_path(tmp_path))
    other = generate(tmp_path / "other", ROWS, seed=12)
    assert _sha(other[0].path) != _sha(demo["harbour-casework"].path)


def test_progress_and_rows(demo, tmp_path):
    seen: list[tuple[str, int]] = []
    files = generate(tmp_path, 300, progress=lambda c, n: seen.append((c, n)))
    assert [c for c, _ in seen] == [c.name for c in CONTRIBUTORS]
    assert sum(f.rows for f in files) == 300
    assert all(f.spec == demo_spec_path(f.contributor) and f.spec.is_file() for f in files)


def test_casework_shape(demo):
    f = demo["harbour-casework"]
    with f.path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert 55 <= len(rows[0]) <= 65
    assert len(rows) == f.rows + 1
    assert {*HARBOUR_IDENTITY, "Sex", "Nationality", "Control: Debt Bondage"} <= set(rows[0])
    dob = {r[rows[0].index("Date of birth")] for r in rows[1:]}
    assert "" in dob and all(re.fullmatch(r"\d\d/\d\d/\d{4}", d) for d in dob - {""})
    sexes = {r[rows[0].index("Sex")] for r in rows[1:]}
    assert {"F", "M"} <= sexes


def test_hotline_shape(demo):
    f = demo["lighthouse-hotline"]
    raw = f.path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    header = text.splitlines()[0]
    assert header.count(";") == 14
    assert "Côte d'Ivoire" in text or "Viêt Nam" in text
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    assert len(rows) == f.rows + 1
    assert any("|" in r[header.split(";").index('"EXPL"')] for r in rows[1:])


def test_ngo_shape(demo):
    from python_calamine import CalamineWorkbook

    f = demo["refugio-ngo"]
    sheet = CalamineWorkbook.from_path(str(f.path)).get_sheet_by_name("Registro").to_python()
    assert sheet[0][0].startswith("Registro de víctimas asistidas")
    assert not any(sheet[1])
    assert sheet[2][:6] == ["Nº de caso", "Nombre", "Apellidos", "Sexo", "Edad", "Fecha de nacimiento"]
    born = {r[5] for r in sheet[3:]} - {"", None}
    assert born and all(re.fullmatch(r"\d{4}-\d\d-\d\d", b) for b in born)
    data = sheet[3:]
    blank = [r for r in data if not any(v not in ("", None) for v in r)]
    assert len(data) - len(blank) == f.rows
    assert 0 < len(blank) < f.rows * 0.02 + 2


def test_truth_file_names_every_row_with_identity_columns(demo):
    out_dir = demo["harbour-casework"].path.parent
    assert truth_path(out_dir) == out_dir / "truth" / "truth-persons.csv"
    assert truth_path(out_dir).read_text(encoding="utf-8").startswith("contributor,source_row,person_id\n")
    truth = _truth(out_dir)
    assert set(truth) == {"harbour-casework", "refugio-ngo"}  # the hotline stays unlinked
    harbour, refugio = _harbour_rows(demo["harbour-casework"]), _refugio_rows(demo["refugio-ngo"])
    assert set(truth["harbour-casework"]) == set(harbour)
    assert set(truth["refugio-ngo"]) == set(refugio)
    assert all(re.fullmatch(r"P\d{7}", p) for t in truth.values() for p in t.values())
    h, r = set(truth["harbour-casework"].values()), set(truth["refugio-ngo"].values())
    assert len(h) < len(harbour)  # the duplicate rows are the same person
    assert len(h & r) == round(0.10 * demo["refugio-ngo"].rows)


SEXO = {"F": "Mujer", "M": "Hombre", "Other": "Mujer trans", "": "No indica"}


def test_shared_people_are_the_same_people(demo):
    """A person at both contributors has the same sex and citizenship, and an age that fits the date of
    birth; the name is mostly, not always, written the same."""
    truth = _truth(demo["harbour-casework"].path.parent)
    h_rows, r_rows = _harbour_rows(demo["harbour-casework"]), _refugio_rows(demo["refugio-ngo"])
    harbour = {p: h_rows[row] for row, p in truth["harbour-casework"].items()}
    refugio = {p: r_rows[row] for row, p in truth["refugio-ngo"].items()}
    shared = sorted(set(harbour) & set(refugio))
    same_sex = same_country = fits = same_name = 0
    for p in shared:
        h, r = harbour[p], refugio[p]
        if h["Sex"] in SEXO and r["Sexo"] in SEXO.values():
            assert SEXO[h["Sex"]] == r["Sexo"], (h["Sex"], r["Sexo"])
            same_sex += 1
        a, b = resolver().resolve(h["Nationality"]), resolver().resolve(r["Nacionalidad"] or "")
        if a.ok and b.ok:
            assert a.iso3 == b.iso3
            same_country += 1
        if h["Date of birth"] and r["Edad"] is not None:
            born = int(h["Date of birth"][-4:])
            fits += abs(r["Fecha de registro"].year - born - r["Edad"]) <= 1
        same_name += (
            f"{h['Given name']} {h['Family name']}" == f"{r['Nombre']} {r['Apellidos'] or ''}".strip()
        )
    n = len(shared)
    assert same_sex > 0.8 * n and same_country > 0.7 * n
    assert fits >= 0.85 * n
    assert 0.25 * n < same_name < n


def test_casework_csv_for_benchmark(tmp_path):
    p = write_casework_csv(tmp_path / "bench.csv", 1_000, seed=3)
    assert sum(1 for _ in p.open(encoding="utf-8")) == 1_001


@pytest.mark.parametrize("contributor", [c.name for c in CONTRIBUTORS])
def test_spec_loads(contributor):
    spec = load_spec(demo_spec_path(contributor))
    assert spec.name == contributor
    assert "Datasource" in spec.constants


def test_unknown_demo_contributor():
    with pytest.raises(ValueError):
        demo_spec_path("nobody")


@pytest.mark.parametrize("contributor", [c.name for c in CONTRIBUTORS])
def test_ingest(demo, tmp_path, contributor):
    from ctdhub.ingest import ingest_file
    from ctdhub.store import init_store

    f = demo[contributor]
    hub, _ = init_store(tmp_path / "hub")
    report = ingest_file(hub, f.path, contributor, f.spec)
    assert report.rows_read == f.rows
    assert report.rows_read == report.rows_stored + report.rows_quarantined
    assert report.rows_quarantined < 0.03 * report.rows_read
    assert report.rows_quarantined > 0  # the intended defects
    errors = {k for k, v in report.rules.items() if v["severity"] == "error"}
    assert errors <= {
        "unmapped_value",
        "unknown_country",
        "year_in_future",
        "majority_vs_age",
        "age_out_of_range",
    }
    con = hub.connect()
    try:
        cols = {r[0].lower() for r in con.execute("DESCRIBE cases").fetchall()}
        n = con.execute("SELECT count(*) FROM cases").fetchone()
    finally:
        con.close()
    assert not cols & PII_LOWER
    assert n is not None and n[0] == report.rows_stored
    assert not _leaked_names(hub, f)


def _leaked_names(hub: Any, f: DemoFile) -> set[str]:
    """Names of the file's people (6 letters or more) found anywhere in the store's tables."""
    if f.contributor == "harbour-casework":
        rows = list(_harbour_rows(f).values())
        names = {r[c] for r in rows for c in ("Given name", "Family name")}
    elif f.contributor == "refugio-ngo":
        rows = list(_refugio_rows(f).values())
        names = {r[c] for r in rows for c in ("Nombre", "Apellidos")}
    else:
        return set()
    con = hub.connect()
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        text = " ".join(repr(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    finally:
        con.close()
    return {n for n in names if n and len(n) >= 6 and n in text}
