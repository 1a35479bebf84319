"""Ingest end to end on one messy file per defect: every row stored or quarantined, with clear findings."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ctdhub.errors import ConfigError, CtdhubError
from ctdhub.ingest import IngestReport, check_mapping, ingest_file
from ctdhub.mapping import load_spec
from ctdhub.store import Hub, init_store
from ctdhub.store.quarantine import export_quarantine

DATA = Path(__file__).parent / "data" / "ingest"
SPEC = DATA / "test-org.yaml"


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    h, _ = init_store(tmp_path / "hub")
    return h


def cases(hub: Hub, where: str = "true") -> list[dict[str, object]]:
    with hub.connect() as con:
        rel = con.execute(f"SELECT * FROM cases WHERE {where} ORDER BY source_row")
        names = [d[0] for d in rel.description]
        return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]


def quarantined(hub: Hub) -> dict[int, list[str]]:
    with hub.connect() as con:
        return {
            int(r): list(m) for r, m in con.execute("SELECT source_row, reasons FROM quarantine").fetchall()
        }


def test_clean_file_maps_every_field(hub: Hub) -> None:
    stages: list[str] = []
    r = ingest_file(hub, DATA / "clean.csv", "test-org", SPEC, progress=stages.append)
    assert stages == ["read", "map", "validate", "store"]
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (5, 5, 0)
    rows = cases(hub)
    first = rows[0]
    assert first["source_row"] == 2
    assert (
        first["gender"] == "Female" and first["ageBroad"] == "24--26" and first["majorityStatus"] == "Adult"
    )
    assert first["citizenship"] == "PHL" and first["CountryOfExploitation"] == "MYS"
    assert first["yearOfRegistration"] == 2019 and first["Datasource"] == "Case Management"
    assert first["isSexualExploit"] == 1 and first["isForcedLabour"] == 0
    assert first["meansOfControlDebtBondage"] == 1 and first["meansOfControlThreats"] == 1
    assert first["meansOfControlWithholdsDocuments"] == 0
    assert first["traffickMonths"] is not None
    assert rows[2]["citizenship"] == "CIV" and rows[2]["majorityStatus"] == "Minor"
    assert rows[3]["typeOfLabourAgriculture"] == 1 and rows[3]["typeOfLabourDomesticWork"] == 1
    last = rows[4]
    assert last["ageBroad"] is None and last["citizenship"] is None  # -99 and Unknown: unknown
    assert "meansOfControlDebtBondage" in last["na_fields"]  # type: ignore[operator]
    assert "case_ref" not in first and "A-001" not in str(rows)
    assert "case_ref" in r.dropped_columns and r.ignored_columns == ["office"]


def test_not_collected_fields_are_recorded(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "clean.csv", "test-org", SPEC)
    with hub.connect() as con:
        collected = dict(
            con.execute(
                "SELECT field, collected FROM batch_fields WHERE batch_id = ?", [r.batch_id]
            ).fetchall()
        )
    assert collected["gender"] is True
    assert collected["isAbduction"] is False
    assert collected["Datasource"] is True


def test_unknown_country_is_quarantined_with_reason(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "unknown-country.csv", "test-org", SPEC)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (2, 1, 1)
    assert r.unmapped["nationality"] == {"Atlantis": 1}
    reasons = quarantined(hub)[3]
    assert any("Atlantis" in m for m in reasons)
    assert r.rules["unknown_country"]["rows"] == 1


def test_unmapped_pii_column_stops_the_ingest(hub: Hub) -> None:
    with pytest.raises(CtdhubError) as err:
        ingest_file(hub, DATA / "pii-column-unmapped.csv", "test-org", SPEC)
    assert "client_name" in str(err.value) and "nothing was ingested" in str(err.value)
    assert cases(hub) == []
    with hub.connect() as con:
        assert con.execute("SELECT count(*) FROM batches").fetchone() == (0,)


def test_unmapped_values_are_the_work_queue(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "unmapped-value.csv", "test-org", SPEC)
    assert (r.rows_stored, r.rows_quarantined) == (1, 1)
    assert r.unmapped["sex"] == {"Femal": 1}
    assert r.unmapped["control"] == {"Sleep deprivation": 1}


def test_year_range(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "future-year.csv", "test-org", SPEC)
    assert (r.rows_stored, r.rows_quarantined) == (1, 2)
    assert {"year_in_future", "year_too_early"} <= set(r.rules)


def test_majority_contradicting_age_band(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "majority-conflict.csv", "test-org", SPEC)
    assert (r.rows_stored, r.rows_quarantined) == (1, 1)
    assert list(quarantined(hub)) == [2]
    assert "majority_vs_age" in r.rules


def test_duplicate_rows_are_stored_with_a_warning(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "duplicate-rows.csv", "test-org", SPEC)
    assert (r.rows_stored, r.rows_quarantined, r.rows_with_warnings) == (3, 0, 1)
    flagged = [c for c in cases(hub) if c["warnings"]]
    assert [c["source_row"] for c in flagged] == [3]


def test_labour_type_without_forced_labour_is_a_warning(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "labour-type-without-labour.csv", "test-org", SPEC)
    assert (r.rows_stored, r.rows_quarantined) == (2, 0)
    assert r.rules["labour_type_without_forced_labour"] == {"severity": "warning", "findings": 1, "rows": 1}


def test_unreadable_numbers_dates_and_ages(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "bad-date-and-age.csv", "test-org", SPEC)
    assert (r.rows_stored, r.rows_quarantined) == (0, 4)
    assert {"age_out_of_range", "not_a_number", "not_a_date", "not_a_duration"} <= set(r.rules)
    with hub.connect() as con:
        rows = con.execute(
            'SELECT source_row, "column", value, rule FROM findings ORDER BY source_row'
        ).fetchall()
    assert (2, "age", "140", "age_out_of_range") in rows
    assert (4, "registration_date", "not a date", "not_a_date") in rows


def test_long_layout_is_pivoted(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "long-format.csv", "test-org", DATA / "test-org-long.yaml")
    assert (r.rows_read, r.rows_stored) == (2, 2)
    got = {(c["gender"], c["citizenship"], c["isForcedLabour"]) for c in cases(hub)}
    assert got == {("Female", "UKR", None), ("Male", "MDA", 1)}


def test_same_file_twice_is_refused(hub: Hub) -> None:
    ingest_file(hub, DATA / "clean.csv", "test-org", SPEC)
    with pytest.raises(CtdhubError, match="already ingested"):
        ingest_file(hub, DATA / "clean.csv", "test-org", SPEC)
    assert len(cases(hub)) == 5


def test_bad_spec_names_file_line_and_key() -> None:
    with pytest.raises(ConfigError) as err:
        load_spec(DATA / "bad-spec.yaml")
    text = str(err.value)
    assert "bad-spec.yaml" in text and "line" in text and "columns" in text


def test_quarantine_export_fix_resubmit_and_revert(hub: Hub, tmp_path: Path) -> None:
    from ctdhub.store.batches import revert_batch

    first = ingest_file(hub, DATA / "unmapped-value.csv", "test-org", SPEC)
    out = tmp_path / "fix.csv"
    with hub.connect() as con:
        exported = export_quarantine(con, out)
    assert exported["rows"] == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["_source_row"] == "2" and rows[0]["sex"] == "Femal"
    assert "case_ref" not in rows[0]  # dropped identifiers are not kept in quarantine
    rows[0]["sex"] = "F"
    rows[0]["control"] = "Debt bondage"
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    again = ingest_file(hub, out, "test-org", SPEC, resubmission=True, parent_batch_id=first.batch_id)
    assert (again.rows_read, again.rows_stored, again.rows_quarantined) == (1, 1, 0)
    assert again.resubmission_of == [first.batch_id]
    with hub.connect() as con:
        assert con.execute("SELECT count(*) FROM quarantine WHERE status = 'open'").fetchone() == (0,)
    assert len(cases(hub)) == 2
    with pytest.raises(CtdhubError, match="already ingested"):
        ingest_file(hub, out, "test-org", SPEC, resubmission=True, parent_batch_id=first.batch_id)
    out.write_text(out.read_text(encoding="utf-8").replace(",F,", ",M,"), encoding="utf-8")
    with pytest.raises(CtdhubError, match="not an open quarantined row"):
        ingest_file(hub, out, "test-org", SPEC, resubmission=True, parent_batch_id=first.batch_id)
    with hub.writer() as con:
        with pytest.raises(CtdhubError, match="revert those first"):
            revert_batch(con, first.batch_id)
        revert_batch(con, again.batch_id)
        assert con.execute("SELECT count(*) FROM quarantine WHERE status = 'open'").fetchone() == (1,)
        revert_batch(con, first.batch_id)
    assert cases(hub) == []


def test_check_mapping_is_a_dry_run(hub: Hub) -> None:
    r = check_mapping(DATA / "unknown-country.csv", SPEC)
    assert r["rows"] == 2 and r["rows_would_be_quarantined"] == 1
    assert r["unmapped"] == {"nationality": {"Atlantis": 1}}
    assert r["field_fill"]["gender"] == 1.0
    assert cases(hub) == []


def stored_findings(hub: Hub, batch_id: str) -> dict[str, tuple[int, int, dict[str, int]]]:
    """Per rule of a stored batch: its findings, its rows, and how often each value was found."""
    with hub.connect() as con:
        rows = con.execute(
            "SELECT rule, count(*), count(DISTINCT source_row) FROM findings WHERE batch_id = ? GROUP BY rule",
            [batch_id],
        ).fetchall()
        values = con.execute(
            "SELECT rule, value, count(*) FROM findings WHERE batch_id = ? AND value IS NOT NULL GROUP BY ALL",
            [batch_id],
        ).fetchall()
    out: dict[str, tuple[int, int, dict[str, int]]] = {r[0]: (int(r[1]), int(r[2]), {}) for r in rows}
    for rule, value, n in values:
        out[rule][2][str(value)] = int(n)
    return out


def assert_dry_run_agrees(hub: Hub, check: dict[str, Any], r: IngestReport) -> None:
    """The dry run said what the ingest did: counts, rules, findings and their values, columns."""
    assert (
        check["rows"],
        check["rows_would_be_stored"],
        check["rows_would_be_quarantined"],
        check["rows_skipped"],
    ) == (r.rows_read, r.rows_stored, r.rows_quarantined, r.rows_skipped)
    rules = check["rules"]
    assert {k: {x: v[x] for x in ("severity", "findings", "rows")} for k, v in rules.items()} == r.rules
    stored = stored_findings(hub, r.batch_id)
    assert {k: v[:2] for k, v in stored.items()} == {k: (v["findings"], v["rows"]) for k, v in rules.items()}
    for rule, counts in rules.items():  # the values the dry run shows are those the store keeps
        assert counts["values"].items() <= stored[rule][2].items(), rule
    assert check["unmapped"] == r.unmapped
    columns = check["columns"]
    assert (columns["dropped"], columns["ignored"]) == (r.dropped_columns, r.ignored_columns)
    assert check["fields_collected"] == len(r.collected_fields)


@pytest.mark.parametrize(
    "name",
    [
        "clean.csv",
        "unknown-country.csv",
        "unmapped-value.csv",
        "future-year.csv",
        "majority-conflict.csv",
        "duplicate-rows.csv",
        "labour-type-without-labour.csv",
        "bad-date-and-age.csv",
        "empty-row.csv",
        "out-of-range-years.csv",
        "formula-cells.csv",
    ],
)
def test_dry_run_and_ingest_agree_on_each_messy_file(hub: Hub, name: str) -> None:
    check = check_mapping(DATA / name, SPEC)
    assert_dry_run_agrees(hub, check, ingest_file(hub, DATA / name, "test-org", SPEC))


def test_dry_run_and_ingest_agree_on_a_long_layout(hub: Hub) -> None:
    spec = DATA / "test-org-long.yaml"
    check = check_mapping(DATA / "long-format.csv", spec)
    assert_dry_run_agrees(hub, check, ingest_file(hub, DATA / "long-format.csv", "test-org", spec))


def test_dry_run_and_ingest_agree_on_rows_left_out_duplicates_and_errors(hub: Hub, tmp_path: Path) -> None:
    """One file with a label row under the header, a template's numbered empty rows, a blank row, an exact
    duplicate and rows with errors: the dry run predicts every count and finding of the ingest."""
    spec = tmp_path / "test-org-template.yaml"
    spec.write_text(
        SPEC.read_text(encoding="utf-8") + "source: {skip_rows: [2], index_column: case_ref}\n", "utf-8"
    )
    header, *clean = (DATA / "clean.csv").read_text(encoding="utf-8").splitlines()
    bodies = [
        (DATA / n).read_text(encoding="utf-8").splitlines()[1:]
        for n in ("unknown-country.csv", "formula-cells.csv", "empty-row.csv")
    ]
    width = header.count(",")
    lines = [
        header,
        "Case number,Sex,Age,Nationality,Country,Date,Exploitation,Control,Sector,Months,Office",  # row 2
        *clean,
        clean[1],  # an exact duplicate of row 4
        "," * width,  # blank
        *[line for body in bodies for line in body],
        "T-100" + "," * width,  # the template's pre-numbered empty rows
        "T-101" + "," * width,
    ]
    data = tmp_path / "template-export.csv"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    check = check_mapping(data, spec)
    r = ingest_file(hub, data, "test-org", spec)
    assert_dry_run_agrees(hub, check, r)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined, r.rows_skipped) == (14, 8, 6, 4)
    assert r.rules["duplicate_row"]["rows"] == 1 and r.rows_with_warnings >= 1
    assert {"unknown_country", "empty_record"} <= set(r.rules)
    assert sorted(quarantined(hub)) == [11, 12, 13, 14, 16, 17]  # B-002, F-001..3, E-002, E-003


def test_a_row_without_any_value_is_quarantined_not_stored_as_an_empty_case(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "empty-row.csv", "test-org", SPEC)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (3, 1, 2)
    assert r.rules["empty_record"]["rows"] == 2
    assert all(any("no column of the row" in m for m in ms) for ms in quarantined(hub).values())


def test_a_spec_that_maps_no_column_stores_no_empty_cases(hub: Hub, tmp_path: Path) -> None:
    spec = tmp_path / "drops-all.yaml"
    spec.write_text(
        "spec: drops-all\nversion: '1'\nstandard: '1.0'\ncolumns:\n  a: {drop: identifier}\n  b: {ignore: notes}\n",
        "utf-8",
    )
    data = tmp_path / "two-rows.csv"
    data.write_text("a,b\n1,x\n2,y\n", "utf-8")
    r = ingest_file(hub, data, "test-org", spec)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (2, 0, 2)


def test_a_json_file_of_empty_objects_stores_no_case(hub: Hub, tmp_path: Path) -> None:
    data = tmp_path / "empty-objects.json"
    data.write_text("[{}, {}]", "utf-8")
    spec = tmp_path / "one.yaml"
    spec.write_text("spec: one\nversion: '1'\nstandard: '1.0'\ncolumns:\n  sex: {field: gender}\n", "utf-8")
    r = ingest_file(hub, data, "test-org", spec)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (2, 0, 2)


def test_out_of_range_years_are_quarantined_not_an_internal_error(hub: Hub) -> None:
    r = ingest_file(hub, DATA / "out-of-range-years.csv", "test-org", SPEC)
    assert (r.rows_read, r.rows_stored, r.rows_quarantined) == (6, 0, 6)


def test_quarantine_export_runs_no_formula_and_round_trips(hub: Hub, tmp_path: Path) -> None:
    first = ingest_file(hub, DATA / "formula-cells.csv", "test-org", SPEC)
    assert first.rows_quarantined == 3
    out = tmp_path / "fix.csv"
    with hub.connect() as con:
        export_quarantine(con, out)
        held = " ".join(str(r[0]) for r in con.execute("SELECT original FROM quarantine").fetchall())
    assert "calc" not in held and "north" not in held  # free-text (ignored) columns are not kept
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    cells = [v for r in rows for v in r.values()]
    assert not [v for v in cells if v[:1] in ("=", "@", "\t", "\r") or (v[:1] == "+" and not v[1:].isdigit())]
    assert rows[0]["sex"].startswith("'=HYPERLINK") and rows[2]["age"] == "-99"
    for r in rows:  # the data officer fixes the values and saves
        r.update(sex="F", nationality="Philippines", registration_date="2019-03-04")
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    again = ingest_file(hub, out, "test-org", SPEC, resubmission=True, parent_batch_id=first.batch_id)
    assert (again.rows_read, again.rows_stored, again.rows_quarantined) == (3, 3, 0)


def test_excel_contributor_completes_the_quarantine_round_trip(hub: Hub, tmp_path: Path) -> None:
    """The export is a CSV; resubmitting it must not read it with the workbook's sheet and header row."""
    import xlsxwriter
    from click.testing import CliRunner

    from ctdhub.cli import cli

    spec = tmp_path / "excel-org.yaml"
    spec.write_text(
        SPEC.read_text(encoding="utf-8").replace("spec: test-org", "spec: excel-org")
        + "source: {format: xlsx, sheet: Cases, header_row: 2}\n",
        "utf-8",
    )
    book = tmp_path / "cases.xlsx"
    wb = xlsxwriter.Workbook(book)
    ws = wb.add_worksheet("Cases")
    ws.write_row(0, 0, ["Registro 2019"])
    with (DATA / "unmapped-value.csv").open(encoding="utf-8") as fh:
        for i, rec in enumerate(csv.reader(fh)):
            ws.write_row(i + 1, 0, rec)
    wb.close()
    first = ingest_file(hub, book, "excel-org", spec)
    assert first.rows_quarantined == 1
    out = tmp_path / "fix.csv"
    runner = CliRunner()
    r = runner.invoke(cli, ["quarantine", "export", "--out", str(out), "--store", str(hub.path)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    rows[0].update(sex="F", control="Debt bondage")
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    r = runner.invoke(cli, ["quarantine", "resubmit", str(out), "--store", str(hub.path), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output.strip().splitlines()[-1])
    assert (report["rows_read"], report["rows_stored"]) == (1, 1), report
    with hub.connect() as con:
        assert con.execute("SELECT count(*) FROM quarantine WHERE status = 'open'").fetchone() == (0,)


def test_resubmission_is_not_read_with_the_original_files_skip_rows(hub: Hub, tmp_path: Path) -> None:
    """A spec that skips row 2 of its source (a label row, as the HTCDS template has) must not skip row 2 of
    a corrected quarantine export: that is the first corrected case, and it would be lost."""
    spec = tmp_path / "test-org-skip.yaml"
    spec.write_text(SPEC.read_text(encoding="utf-8") + "source: {skip_rows: [2]}\n", "utf-8")
    header, *body = (DATA / "unmapped-value.csv").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "with-label-row.csv"
    data.write_text("\n".join([header, "labels" + "," * header.count(","), *body]) + "\n", "utf-8")
    first = ingest_file(hub, data, "test-org", spec)
    assert first.rows_quarantined == 1
    out = tmp_path / "fix.csv"
    with hub.connect() as con:
        export_quarantine(con, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    rows[0]["sex"] = "F"
    rows[0]["control"] = "Debt bondage"
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    again = ingest_file(hub, out, "test-org", spec, resubmission=True, parent_batch_id=first.batch_id)
    assert (again.rows_read, again.rows_stored, again.rows_skipped) == (1, 1, 0)
    with hub.connect() as con:
        assert con.execute("SELECT count(*) FROM quarantine WHERE status = 'open'").fetchone() == (0,)
