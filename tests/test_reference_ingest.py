"""The real public CTDC releases and the HTCDS template ingest with the built-in specs.

Read from ../shared/reference at test time (skipped cleanly when absent); nothing is copied into the repo.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from ctdhub.ingest import ingest_file
from ctdhub.mapping import load_spec
from ctdhub.store import Hub, init_store


@pytest.fixture(scope="module")
def ref_hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    hub, _ = init_store(tmp_path_factory.mktemp("ref") / "hub")
    return hub


def test_ctdc_synthetic_2021_every_row_and_count(reference: Path, ref_hub: Hub) -> None:
    path = reference / "ctdc" / "data" / "CTDC_synthetic_20210825.csv"
    r = ingest_file(ref_hub, path, "ctdc-synthetic", "ctdc-synthetic")
    assert r.rows_read == 193_025 == r.rows_stored + r.rows_quarantined
    spec = load_spec("ctdc-synthetic")
    con = duckdb.connect()
    con.execute("CREATE TABLE f AS SELECT * FROM read_csv(?, all_varchar=true, header=true)", [str(path)])
    file_cols = [c[0] for c in con.execute("DESCRIBE f").fetchall()]
    with ref_hub.connect() as store:
        for col in file_cols:
            rule = spec.columns[col]
            assert rule.field is not None
            want = dict(
                con.execute(
                    f'SELECT "{col}", count(*) FROM f WHERE "{col}" IS NOT NULL GROUP BY 1'
                ).fetchall()
            )
            got = dict(
                store.execute(
                    f'SELECT CAST("{rule.field}" AS VARCHAR), count(*) FROM cases '
                    f'WHERE batch_id = ? AND "{rule.field}" IS NOT NULL GROUP BY 1',
                    [r.batch_id],
                ).fetchall()
            )
            if col == "ageBroad":
                want = {k.replace("09--17", "9--17"): v for k, v in want.items()}
            assert got == want, col


def test_ctdc_kanon_2020_subset(reference: Path, ref_hub: Hub) -> None:
    path = reference / "ctdc" / "data" / "CTDC_global_20200414_subset.csv"
    r = ingest_file(ref_hub, path, "ctdc-kanon", "ctdc-kanon")
    assert r.rows_read == 48_801 == r.rows_stored + r.rows_quarantined
    assert r.rows_quarantined == 0
    con = duckdb.connect()
    want = dict(
        con.execute(
            "SELECT CAST(CAST(yearOfRegistration AS DOUBLE) AS INTEGER), count(*) FROM read_csv(?, all_varchar=true) "
            "WHERE yearOfRegistration IS NOT NULL GROUP BY 1",
            [str(path)],
        ).fetchall()
    )
    with ref_hub.connect() as store:
        got = dict(
            store.execute(
                "SELECT yearOfRegistration, count(*) FROM cases WHERE batch_id = ? AND yearOfRegistration IS NOT NULL "
                "GROUP BY 1",
                [r.batch_id],
            ).fetchall()
        )
        ages = dict(
            store.execute(
                "SELECT ageBroad, count(*) FROM cases WHERE batch_id = ? GROUP BY 1", [r.batch_id]
            ).fetchall()
        )
        labour = store.execute(
            "SELECT count(*) FROM cases WHERE batch_id = ? AND typeOfLabourDomesticWork = 1", [r.batch_id]
        ).fetchone()
    assert got == want
    assert "9--17" in ages and "09--17" not in ages
    assert labour is not None and labour[0] > 0


def test_ctdc_victim_perpetrator(reference: Path, ref_hub: Hub) -> None:
    path = reference / "ctdc" / "data" / "CTDC_VPsynthetic_condensed_20221201.csv"
    r = ingest_file(ref_hub, path, "ctdc-vp", "ctdc-vp-synthetic")
    con = duckdb.connect()
    n = con.execute("SELECT count(*) FROM read_csv(?, all_varchar=true)", [str(path)]).fetchone()
    assert n is not None
    assert r.rows_read == n[0] == r.rows_stored + r.rows_quarantined
    assert r.rows_skipped == 0


INVENTED = [
    # name, birth date, gender, citizenship, control, exploitation, industry, country, referral date
    (
        "Invented",
        "Alpha",
        dt.date(1990, 5, 1),
        "Feminine",
        "PH",
        "Debt bondage ;Physical threats",
        "Forced labour",
        "Activities of households as employers; undifferentiated goods- and services- producing activities of households for own use",
        "Malaysia",
        dt.date(2019, 3, 1),
    ),
    (
        "Fictional",
        "Beta",
        dt.date(2006, 1, 15),
        "Masculine",
        "UA",
        "Withholds documents",
        "Sexual exploitation",
        "",
        "POL",
        dt.date(2021, 6, 30),
    ),
    ("Madeup", "Gamma", None, "NonSpecifiedUnknown", "", "", "Forced begging", "", "", dt.date(2022, 1, 5)),
]


def test_htcds_excel_template_with_invented_rows(reference: Path, tmp_path: Path) -> None:
    import openpyxl

    src = reference / "htcds" / "Toolkit-Excel-HTCDS_Excel_Spreadsheet_v2.0.xlsx"
    path = tmp_path / "htcds-filled.xlsx"
    shutil.copy(src, path)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None
    header = [c.value for c in ws[1]]
    col = {name: i + 1 for i, name in enumerate(header) if name}
    for i, (first, second, birth, gender, cit, control, expl, industry, country, referral) in enumerate(
        INVENTED
    ):
        row = 3 + i
        values = {
            "prs_FirstName": first,
            "prs_SecondName": second,
            "prs_Birthdate": birth,
            "prs_Gender": gender,
            "prs_Citizenship": cit,
            "vic_MethodsOfControl": control,
            "vic_TypeOfExploitation": expl,
            "vic_ForcedLabourIndustry": industry,
            "vic_LocationOfExploitation": country,
            "cas_IncomingReferralDate": referral,
            "prs_Email": f"{first.lower()}@example.org",
            "prs_MobilePhone": "+00 000 0000",
        }
        for key, value in values.items():
            if value not in ("", None):
                ws.cell(row=row, column=col[key], value=value)
    wb.save(path)
    hub, _ = init_store(tmp_path / "hub")
    r = ingest_file(hub, path, "htcds-ngo", "htcds")
    assert r.rows_read == 3 == r.rows_stored + r.rows_quarantined, r.rules
    assert r.rows_quarantined == 0, r.rules
    assert r.rows_skipped == 998  # the label row and the template's numbered empty rows
    with hub.connect() as con:
        columns = {c[0] for c in con.execute("DESCRIBE cases").fetchall()}
        rows = con.execute(
            "SELECT gender, ageBroad, majorityStatus, citizenship, CountryOfExploitation, yearOfRegistration, "
            "meansOfControlDebtBondage, meansOfControlThreats, isForcedLabour, typeOfLabourDomesticWork, "
            "typeOfLabourBegging, isSexualExploit FROM cases ORDER BY source_row"
        ).fetchall()
        everything = " ".join(
            str(x)
            for t in ("cases", "quarantine", "findings", "batches")
            for x in con.execute(f"SELECT * FROM {t}").fetchall()
        )
    pii = {
        "prs_FirstName",
        "prs_SecondName",
        "prs_Birthdate",
        "prs_Email",
        "prs_MobilePhone",
        "cas_CaseOwner",
    }
    assert not pii & columns
    for first, second, *_ in INVENTED:
        assert first not in everything and second not in everything
    assert "example.org" not in everything and "1990-05-01" not in everything
    assert rows[0] == ("Female", "27--29", "Adult", "PHL", "MYS", 2019, 1, 1, 1, 1, 0, 0)
    assert rows[1][:6] == ("Male", "9--17", "Minor", "UKR", "POL", 2021)
    assert rows[1][11] == 1
    assert rows[2][0] is None and rows[2][10] == 1
