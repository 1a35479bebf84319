"""The standard 1.0: loaded from data, complete against the codebook, exported in three formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ctdhub.standard import load_standard
from ctdhub.standard.export_markdown import markdown as to_markdown
from ctdhub.standard.export_table_schema import table_schema
from ctdhub.standard.export_xlsx import write_template

CODEBOOK_V7_FIELDS = [
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isSexAndLabour",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
    "isSlaveryAndPractices",
    "isAbduction",
]


def test_standard_has_codebook_fields() -> None:
    std = load_standard()
    names = set(std.field_names)
    for name in CODEBOOK_V7_FIELDS:
        assert name in names
    assert sum(n.startswith("meansOfControl") for n in names) == 18
    assert sum(n.startswith("typeOfLabour") for n in names) == 13
    assert sum(n.startswith("recruiterRelation") for n in names) == 5
    assert {h.name for h in std.hub_fields} == {"case_id", "contributor", "batch_id"}


def test_every_field_is_described_and_typed() -> None:
    std = load_standard()
    for f in std.fields:
        assert f.description, f.name
        assert f.type in {"integer", "categorical", "country", "flag"}, f.name
        if f.type == "categorical":
            assert f.codes, f.name
    assert set(std.quasi_identifiers) >= {"yearOfRegistration", "gender", "ageBroad", "citizenship"}
    kinds = {m.kind for m in std.missing}
    assert kinds == {"unknown", "not_applicable", "not_collected"}


def test_families_and_derived_views() -> None:
    std = load_standard()
    moc = std.family("meansOfControl")
    assert moc.not_specified == "meansOfControlNotSpecified"
    assert "meansOfControlNotSpecified" not in moc.substantive
    assert "OR" in moc.has_info_sql("c")
    derived = {d.name: d for d in std.derived}
    assert "meansAbusePsyPhySex" in derived
    assert set(derived["meansAbusePsyPhySex"].any_of) == {
        "meansOfControlPsychologicalAbuse",
        "meansOfControlPhysicalAbuse",
        "meansOfControlSexualAbuse",
    }


def test_derived_view_sql_semantics() -> None:
    import duckdb

    std = load_standard()
    view = next(d for d in std.derived if d.name == "meansAbusePsyPhySex")
    con = duckdb.connect()
    cols = ", ".join(f'"{c}" TINYINT' for c in view.any_of)
    con.execute(f"CREATE TABLE t ({cols})")
    con.execute("INSERT INTO t VALUES (1, NULL, 0), (0, 0, NULL), (NULL, NULL, NULL)")
    assert [r[0] for r in con.execute(f"SELECT {view.sql()} FROM t").fetchall()] == [1, 0, None]


def test_markdown_lists_every_field_with_values() -> None:
    std = load_standard()
    md = to_markdown(std)
    for f in std.fields:
        assert re.search(rf"\b{re.escape(f.name)}\b", md), f.name
        for code in f.codes if f.type == "categorical" else ():
            assert code in md, (f.name, code)


def test_table_schema_validates_with_frictionless(tmp_path: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    schema = table_schema(load_standard())
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    report = frictionless.Schema.validate_descriptor(schema)
    assert report.valid, report.flatten(["type", "note"])
    names = [f["name"] for f in schema["fields"]]
    assert names[:3] == ["case_id", "contributor", "batch_id"]
    gender = next(f for f in schema["fields"] if f["name"] == "gender")
    assert set(gender["constraints"]["enum"]) >= {"Female", "Male"}


def test_table_schema_checks_a_csv(tmp_path: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    std = load_standard()
    schema = table_schema(std)
    names = [f["name"] for f in schema["fields"]]
    row = {n: "" for n in names} | {
        "case_id": "c1",
        "contributor": "demo",
        "batch_id": "b1",
        "gender": "Female",
    }
    bad = dict(row, gender="Woman", case_id="c2")
    csv = tmp_path / "cases.csv"
    csv.write_text(
        ",".join(names)
        + "\n"
        + ",".join(row[n] for n in names)
        + "\n"
        + ",".join(bad[n] for n in names)
        + "\n",
        encoding="utf-8",
    )
    resource = frictionless.Resource(
        path="cases.csv", basepath=str(tmp_path), schema=frictionless.Schema.from_descriptor(schema)
    )
    report = resource.validate()
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    assert errors == [[3, "gender", "constraint-error"]]


def test_xlsx_template_has_dropdowns(tmp_path: Path) -> None:
    import openpyxl

    out = write_template(load_standard(), tmp_path / "template.xlsx")
    wb = openpyxl.load_workbook(out)
    assert "Dictionary" in wb.sheetnames
    ws = wb[wb.sheetnames[0]]
    headers = [c.value for c in ws[1]]
    assert "gender" in headers and "ageBroad" in headers
    assert len(ws.data_validations.dataValidation) >= 10
