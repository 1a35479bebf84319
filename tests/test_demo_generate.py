"""The invented demo contributors: deterministic files, their shapes, their specs, and their ingest."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from ctdhub.demo.generate import (
    CONTRIBUTORS,
    DemoFile,
    demo_spec_path,
    generate,
    split_rows,
    write_casework_csv,
)
from ctdhub.mapping import load_spec

ROWS = 2_000
PII = {
    "Case Number",
    "Client Name",
    "Phone",
    "Date of Birth",
    "CALLER_PHONE",
    "CALL_ID",
    "Nombre",
    "Nº de caso",
}
PII_LOWER = {p.lower() for p in PII} | {"name", "phone", "date_of_birth", "case_number"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    assert {"Client Name", "Sex", "Nationality", "Control: Debt Bondage"} <= set(rows[0])
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
    assert sheet[2][:4] == ["Nº de caso", "Nombre", "Sexo", "Edad"]
    data = sheet[3:]
    blank = [r for r in data if not any(v not in ("", None) for v in r)]
    assert len(data) - len(blank) == f.rows
    assert 0 < len(blank) < f.rows * 0.02 + 2


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
