"""`mapping suggest` drafts a usable spec from Spanish and French files; unmatched columns are dropped."""

from __future__ import annotations

from pathlib import Path

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
