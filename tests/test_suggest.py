"""`mapping suggest` drafts a usable spec from Spanish, French and English NGO files; unmatched columns are
dropped; `mapping check` explains each rule and shows the values that break it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from ctdhub.cli.commands_ingest import mapping
from ctdhub.ingest import check_mapping, profile_file
from ctdhub.mapping.spec import parse_spec
from ctdhub.mapping.suggest import norm_key, render_yaml, suggest_spec

DATA = Path(__file__).parent / "data" / "suggest"


def draft(name: str) -> tuple[str, dict[str, object]]:
    profiles, _detected = profile_file(DATA / name)
    s = suggest_spec(profiles, spec_name="draft")
    return render_yaml(s, file_label=name, source={}), s.summary


def test_norm_key() -> None:
    assert norm_key("País de explotación") == "paisdeexplotacion"


def test_spanish_draft_maps_and_drops(tmp_path: Path) -> None:
    text, summary = draft("ngo-es.csv")
    spec = parse_spec(text, "draft.yaml")
    assert spec.columns["Nombre"].action == "drop"
    assert spec.columns["Teléfono"].action == "drop"
    assert spec.columns["Sexo"].field == "gender"
    assert spec.columns["Sexo"].values == {"Mujer": "Female", "Hombre": "Male"}
    assert spec.columns["Edad"].derive == "age"
    assert spec.columns["Nacionalidad"].field == "citizenship"
    assert spec.columns["País de explotación"].field == "CountryOfExploitation"
    assert spec.columns["Fecha de registro"].derive == "year"
    assert spec.columns["Formas de control"].action == "split"
    assert "Oficina" in summary["unmatched"]  # type: ignore[operator]
    assert spec.columns["Oficina"].action == "drop"  # unmatched: dropped until reviewed
    out = tmp_path / "draft.yaml"
    out.write_text(text, encoding="utf-8")
    report = check_mapping(DATA / "ngo-es.csv", out)
    assert report["rows"] == 3


def test_french_draft() -> None:
    text, _ = draft("ong-fr.csv")
    spec = parse_spec(text, "draft.yaml")
    assert spec.columns["sexe"].values == {"femme": "Female", "homme": "Male"}
    assert spec.columns["nom"].action == "drop"
    assert spec.columns["nationalité"].field == "citizenship"
    assert spec.columns["remarques"].action == "drop"
    assert spec.columns["type d'exploitation"].action == "split"
    assert "TODO" in text or "exploitation" in text


def test_identification_date_is_the_registration_date() -> None:
    text, _ = draft("identification-date.csv")
    spec = parse_spec(text, "draft.yaml")
    assert spec.columns["Date of identification"].field == "yearOfRegistration"
    assert spec.columns["Date of identification"].derive == "year"
    assert spec.columns["Identification number"].action == "drop"  # an identifier, not a date
    for header in (
        "Identification date",
        "Date identified",
        "Date of registration",
        "Fecha de identificación",
        "Date d'identification",
    ):
        s = suggest_spec({header: [("2021-03-02", 1)], "Sex": [("F", 1)]}, spec_name="draft")
        assert s.drafts[0].body == {"field": "yearOfRegistration", "derive": "year"}, header


def test_mixed_excel_and_text_dates_are_all_read(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "mixed-dates.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("cases")
    dated = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["Sex", "Date of identification"])
    for i in range(1, 9):
        sheet.write(i, 0, "Female" if i % 2 else "Male")
        if i <= 5:  # real Excel dates, which the reader turns into ISO text
            sheet.write_datetime(i, 1, dt.datetime(2020, i, 10 + i), dated)
        else:  # dates typed as text, day first
            sheet.write_string(i, 1, f"{20 + i}/0{i}/2021")
    book.close()
    profiles, _ = profile_file(path)
    s = suggest_spec(profiles, spec_name="draft")
    text = render_yaml(s, file_label=path.name, source={})
    spec = parse_spec(text, "draft.yaml")
    assert spec.columns["Date of identification"].date_format == "%d/%m/%Y"
    out = tmp_path / "draft.yaml"
    out.write_text(text, encoding="utf-8")
    report = check_mapping(path, out)
    assert report["rows_would_be_quarantined"] == 0, report["rules"]
    assert report["field_fill"]["yearOfRegistration"] == 1.0


def test_combined_and_begging_exploitation_types() -> None:
    text, _ = draft("exploitation-types.csv")
    values = parse_spec(text, "draft.yaml").columns["Type of exploitation"].values
    assert set(values["Sexual and labour"]) == {"isSexualExploit", "isForcedLabour", "isSexAndLabour"}
    assert set(values["Forced begging"]) == {"typeOfLabourBegging", "isForcedLabour"}
    assert values["Sexual"] == ["isSexualExploit"]
    assert values["Forced labour"] == ["isForcedLabour"]


def test_check_explains_rules_and_shows_offending_values(tmp_path: Path) -> None:
    text, _ = draft("check-findings.csv")
    out = tmp_path / "draft.yaml"
    out.write_text(text, encoding="utf-8")
    rules = check_mapping(DATA / "check-findings.csv", out)["rules"]
    assert rules["not_a_number"]["values"] == {"thirty": 2}
    assert rules["not_a_date"]["values"] == {"soon": 2}
    assert rules["country_pattern_match"]["values"] == {"Rep. Dem. Congo": 2, "Moldova Rep": 1}
    assert all(r["explanation"] for r in rules.values())
    result = CliRunner().invoke(mapping, ["check", str(out), str(DATA / "check-findings.csv")])
    assert result.exit_code == 0, result.output
    assert "'thirty' ×2" in result.output
    assert "loose name pattern" in result.output
